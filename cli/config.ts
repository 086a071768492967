import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { TlsMaterial } from '../proto/security/tls-credentials.js';
import { checkTlsMaterial } from '../proto/security/tls-material-check.js';
import { CliError } from './errors.js';

export const DEFAULT_SERVER = '127.0.0.1:6443';

/** configPath is ~/.berth/config (BERTH_CONFIG overrides it, for tests and several clusters). */
export function configPath(): string {
  return process.env.BERTH_CONFIG ?? join(homedir(), '.berth', 'config');
}

/**
 * CliConfig is what ~/.berth/config holds: YAML with `server: host:port` and the user's
 * credentials, each the base64 of a PEM file as kubeconfig's `*-data` fields are: the cluster
 * CA's certificate, the user's certificate and the user's private key.
 */
export interface CliConfig {
  server?: string;
  certificateAuthorityData?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
}

const FIELDS = ['server', 'certificateAuthorityData', 'clientCertificateData', 'clientKeyData'] as const;

/** readConfig reads the config file; a missing file is an empty config, a malformed one an error naming the file and field. */
export function readConfig(path = configPath()): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (err) {
    throw new CliError(`${path}: not valid YAML: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError(`${path}: expected a mapping such as "server: 127.0.0.1:6443"`);
  const config: CliConfig = {};
  for (const field of FIELDS) {
    const value = (parsed as Record<string, unknown>)[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new CliError(`${path}: ${field} must be a string${field === 'server' ? ' such as 127.0.0.1:6443' : ' (the base64 of a PEM file)'}`);
    config[field] = value;
  }
  return config;
}

/**
 * writeConfig replaces the config file with `config` (mode 0600: it holds a private key; its
 * directory is made 0700). Written under a temporary name and renamed, so a reader never sees
 * half of it.
 */
export function writeConfig(config: CliConfig, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, stringify(config), { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** The config fields that carry `material` (base64 of each PEM). */
export function credentialFields(material: TlsMaterial): Required<Omit<CliConfig, 'server'>> {
  const base64 = (pem: string): string => Buffer.from(pem).toString('base64');
  return { certificateAuthorityData: base64(material.caPem), clientCertificateData: base64(material.certPem), clientKeyData: base64(material.keyPem) };
}

/**
 * clientCredentials reads the user's certificate, key and the cluster CA from the config file.
 * What is missing, or which field is not a PEM of the right kind, is said with the file, the field
 * and how to get credentials.
 */
export function clientCredentials(path = configPath()): TlsMaterial {
  const config = readConfig(path);
  const missing = (['certificateAuthorityData', 'clientCertificateData', 'clientKeyData'] as const).filter((f) => !config[f]);
  if (missing.length > 0) {
    const what = missing.includes('clientCertificateData') || missing.includes('clientKeyData') ? 'no client certificate' : 'no cluster CA certificate';
    throw new CliError(
      `${what} in ${path} (missing ${missing.join(', ')}): the control plane accepts only clients with a certificate of its cluster. ` +
        'Run `berth up` for a local cluster, or ask an admin of the cluster for a config file (point BERTH_CONFIG at it).',
    );
  }
  const material: TlsMaterial = {
    caPem: decodePem(path, 'certificateAuthorityData', config.certificateAuthorityData ?? '', 'CERTIFICATE'),
    certPem: decodePem(path, 'clientCertificateData', config.clientCertificateData ?? '', 'CERTIFICATE'),
    keyPem: decodePem(path, 'clientKeyData', config.clientKeyData ?? '', 'PRIVATE KEY'),
  };
  try {
    checkTlsMaterial(material, { caFile: `${path}: certificateAuthorityData`, certFile: `${path}: clientCertificateData`, keyFile: `${path}: clientKeyData` });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  return material;
}

/** resolveServer: --server, then BERTH_SERVER, then ~/.berth/config, then the default. */
export function resolveServer(flag: string | undefined): string {
  return flag || process.env.BERTH_SERVER || readConfig().server || DEFAULT_SERVER;
}

function decodePem(path: string, field: string, value: string, label: string): string {
  const text = Buffer.from(value, 'base64').toString('utf8');
  if (!new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(text)) throw new CliError(`${path}: ${field} is not the base64 of a PEM ${label.toLowerCase()}`);
  return text;
}
