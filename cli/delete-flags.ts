import { InvalidArgumentError } from 'commander';
import { CliError } from './errors.js';

/** The flags of `berth delete` that shape a pod's deletion, read as kubectl reads them. */

/** What DeleteRequest carries for the flags, and the warning kubectl prints for them. */
export interface DeletionFlags {
  gracePeriodSeconds: number;
  force: boolean;
  warning?: string;
}

/** FORCE_WARNING is kubectl's warning for --force --grace-period=0. */
export const FORCE_WARNING =
  'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.';

/**
 * deletionFlags reads --grace-period, --force and --now as kubectl does: --now is a grace period
 * of 1; --grace-period=0 without --force becomes 1 (so a slip never skips the pod's shutdown);
 * --force alone means --grace-period=0, which deletes at once (with a warning); --force with a
 * grace period above 0 is refused. Returns the request's grace period (0: the pod's own).
 */
export function deletionFlags(options: { gracePeriod?: number; force?: boolean; now?: boolean }): DeletionFlags {
  let grace = options.gracePeriod ?? -1;
  if (!Number.isInteger(grace) || grace < -1) throw new CliError(`--grace-period must be a whole number of seconds, -1 or more, not ${String(options.gracePeriod)}`);
  if (options.now) {
    if (grace !== -1) throw new CliError('--now and --grace-period cannot be specified together');
    grace = 1;
  }
  const force = options.force ?? false;
  if (grace === 0 && !force) grace = 1;
  if (force && grace < 0) grace = 0;
  if (force && grace > 0) throw new CliError('--force and --grace-period greater than 0 cannot be specified together');
  if (force) return { gracePeriodSeconds: 0, force: true, warning: FORCE_WARNING };
  return { gracePeriodSeconds: Math.max(0, grace), force: false };
}

/** parseGracePeriod reads --grace-period: whole seconds, or -1 for "the object's own". */
export function parseGracePeriod(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1) throw new InvalidArgumentError(`"${value}" is not a grace period: use whole seconds, or -1 for the pod's own`);
  return n;
}
