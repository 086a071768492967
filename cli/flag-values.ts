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
