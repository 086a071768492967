import { readFileSync } from 'node:fs';

/**
 * isAlive tells whether a process still runs. A zombie (exited, not yet reaped) does not count:
 * on machines whose PID 1 does not reap orphans, signal 0 would still find it.
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
