/**
 * Reading what CNI plugins print: an ADD's result (checked against the 1.0.0 shape before the
 * agent relies on it) and a failing plugin's error. Pure.
 */
import type { CniResult } from './cni-types.js';

/** CniPluginError is a plugin that failed: its CNI error code and message, and which plugin and operation. */
export class CniPluginError extends Error {
  override name = 'CniPluginError';
  constructor(
    readonly plugin: string,
    readonly command: string,
    readonly code: number | undefined,
    readonly detail: string,
  ) {
    super(`CNI plugin ${plugin} ${command} failed${code !== undefined ? ` (CNI error ${code})` : ''}: ${detail}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * parseCniResult reads the stdout of a successful ADD. It throws naming the plugin and the field
 * when the output is no CNI result: not JSON, no cniVersion, or ips/interfaces of the wrong shape.
 */
export function parseCniResult(stdout: string, plugin: string): CniResult {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    throw new Error(`CNI plugin ${plugin} printed no JSON result: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  const problem = resultProblem(value);
  if (problem) throw new Error(`CNI plugin ${plugin} printed an invalid result (${problem}): ${stdout.slice(0, 300)}`);
  return value as CniResult;
}

function resultProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'not a JSON object';
  if (typeof value.cniVersion !== 'string') return 'cniVersion missing';
  const interfaces = value.interfaces;
  if (interfaces !== undefined) {
    if (!Array.isArray(interfaces)) return 'interfaces is not a list';
    const bad = interfaces.findIndex((i) => !isObject(i) || typeof i.name !== 'string');
    if (bad >= 0) return `interfaces[${bad}] has no name`;
  }
  const ips = value.ips;
  if (ips !== undefined) {
    if (!Array.isArray(ips)) return 'ips is not a list';
    for (const [n, ip] of ips.entries()) {
      if (!isObject(ip) || typeof ip.address !== 'string' || !ip.address.includes('/')) return `ips[${n}].address is not an address in CIDR form`;
      if (ip.interface !== undefined && (!Number.isInteger(ip.interface) || (ip.interface as number) < 0 || (ip.interface as number) >= (Array.isArray(interfaces) ? interfaces.length : 0))) {
        return `ips[${n}].interface ${String(ip.interface)} names no interface`;
      }
    }
  }
  return undefined;
}

/**
 * pluginFailure turns a failed plugin run into a CniPluginError: the CNI error JSON on stdout
 * when there is one (`msg`, `details`, `code`), else stderr, else the exit status.
 */
export function pluginFailure(plugin: string, command: string, outcome: { exitCode: number | null; signal: number | null; stdout: string; stderr: string; timedOut: boolean }): CniPluginError {
  if (outcome.timedOut) return new CniPluginError(plugin, command, undefined, 'timed out');
  try {
    const error: unknown = JSON.parse(outcome.stdout);
    if (isObject(error) && typeof error.msg === 'string') {
      const details = typeof error.details === 'string' && error.details !== '' ? ` (${error.details})` : '';
      return new CniPluginError(plugin, command, typeof error.code === 'number' ? error.code : undefined, `${error.msg}${details}`);
    }
  } catch {
    // not the CNI error shape: fall back to what the plugin wrote on stderr
  }
  const text = outcome.stderr.trim() || outcome.stdout.trim();
  const status = outcome.signal !== null ? `killed by signal ${outcome.signal}` : `exit status ${String(outcome.exitCode)}`;
  return new CniPluginError(plugin, command, undefined, text ? `${text} (${status})` : status);
}

/**
 * podIPOf is the pod's IPv4 address in a result: that of the interface named `ifName` inside
 * the pod's namespace (a `sandbox` interface), or else the first IPv4 address; undefined when
 * the result has none.
 */
export function podIPOf(result: CniResult, ifName: string): string | undefined {
  const ips = (result.ips ?? []).filter((ip) => !ip.address.includes(':'));
  const inPod = ips.find((ip) => {
    const itf = ip.interface === undefined ? undefined : result.interfaces?.[ip.interface];
    return itf?.sandbox !== undefined && itf.sandbox !== '' && itf.name === ifName;
  });
  const chosen = inPod ?? ips[0];
  return chosen?.address.split('/')[0];
}
