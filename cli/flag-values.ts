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

/** parseGracePeriod reads --grace-period: whole seconds, or -1 for "the object's own". */
export function parseGracePeriod(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1) throw new InvalidArgumentError(`"${value}" is not a grace period: use whole seconds, or -1 for the pod's own`);
  return n;
}

/** parseSeconds reads a duration flag: whole seconds, or a Go-style duration such as 90s, 5m or 1h30m. */
export function parseSeconds(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!match || value === '') throw new InvalidArgumentError(`"${value}" is not a duration: use seconds, or e.g. 90s, 5m, 1h`);
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}
