import { InvalidArgumentError } from 'commander';
import { CliError } from './errors.js';

/** collect gathers a repeatable flag's values (`-f a -f b`) into a list. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** parseBool reads a boolean flag's value as kubectl does (`--flag=false`). */
export function parseBool(value: string): boolean {
  if (/^(true|t|1)$/i.test(value)) return true;
  if (/^(false|f|0)$/i.test(value)) return false;
  throw new CliError(`invalid argument "${value}": use true or false`);
}

/** parsePort reads a TCP port flag; its successor must be a port too (etcd's peer port). */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65534) throw new InvalidArgumentError(`"${value}" is not a port number`);
  return n;
}

/** parsePositive reads a flag that counts something (nodes, seconds). */
export function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  return n;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** parseDuration reads a duration flag (`90s`, `5m`, `1h30m`, or whole seconds; `0`: none), in milliseconds. */
export function parseDuration(value: string): number {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) {
    throw new InvalidArgumentError(`"${value}" is not a duration: use seconds, or e.g. 30s, 5m or 1h (0: no limit)`);
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * (DURATION_UNITS[p[2] as string] ?? 0), 0);
}

/** parseRevision reads a revision number flag (0 or more). */
export function parseRevision(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`"${value}" is not a revision number (a whole number, 0 or more)`);
  return n;
}
