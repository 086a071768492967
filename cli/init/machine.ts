// Defaults read from the machine: its address and its name.
import { execFile } from 'node:child_process';
import { hostname, networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';
import { promisify } from 'node:util';
import { dns1123Subdomain } from '../../proto/validation/names.js';
import { CliError } from '../errors.js';

const exec = promisify(execFile);

/**
 * The address of the interface the default route leaves by (what kubeadm advertises by
 * default), else the first non-loopback IPv4 address; an error when there is none.
 */
export async function defaultAdvertiseAddress(): Promise<string> {
  try {
    const routes = JSON.parse((await exec('ip', ['-j', '-4', 'route', 'get', '1.1.1.1'])).stdout) as Array<{ prefsrc?: string }>;
    const source = routes[0]?.prefsrc;
    if (source && isIPv4(source)) return source;
  } catch {
    // no default route: fall back to the interfaces
  }
  const address = Object.values(networkInterfaces()).flat().find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
  if (!address) throw new CliError('this machine has no IPv4 address but loopback: give --advertise-address');
  return address;
}

/** The node name: --node-name, else the host name in lower case (as the kubelet does); either must be a DNS-1123 subdomain. */
export function nodeNameOf(flag: string | undefined): string {
  const name = flag ?? hostname().toLowerCase();
  const reason = name === '' ? 'must not be empty' : dns1123Subdomain(name);
  if (reason) throw new CliError(`node name "${name}" ${flag ? '(--node-name) ' : '(the host name) '}is not valid: ${reason}; give another with --node-name`);
  return name;
}

/** Checks --advertise-address / --node-ip. */
export function checkIpv4(value: string, flag: string): string {
  if (!isIPv4(value)) throw new CliError(`${flag} "${value}" is not an IPv4 address`);
  return value;
}
