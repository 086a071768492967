import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** isRunning tells whether `pid` is alive and its command line contains `marker` (never trust a pid alone). */
export function isRunning(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(marker);
  } catch {
    return false;
  }
}

/** stopProcess sends SIGTERM, waits up to `graceMs`, then SIGKILL. Resolves when it is gone. */
export async function stopProcess(pid: number, marker: string, graceMs = 15_000): Promise<void> {
  if (!isRunning(pid, marker)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid, marker)) return;
    await sleep(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  while (isRunning(pid, marker)) await sleep(20);
}
