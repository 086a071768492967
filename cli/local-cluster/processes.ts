import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** What /proc shows of a pid: running with the marker, gone (or another program), or between execve's steps. */
type ProcessLook = 'running' | 'gone' | 'exec';

/**
 * lookAt reads /proc/<pid>. While a process is inside execve (its new memory in place, its
 * arguments not yet), /proc/<pid>/cmdline reads empty: that is 'exec', neither running nor gone.
 * An agent just spawned goes through three of them (nsenter, env, node).
 */
function lookAt(pid: number, marker: string): ProcessLook {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return 'gone';
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline === '') return 'exec';
    return cmdline.split('\0').join(' ').includes(marker) ? 'running' : 'gone';
  } catch {
    return 'gone';
  }
}

/** isRunning tells whether `pid` is alive (not a zombie) and its command line contains `marker` (never trust a pid alone); a process inside execve counts as running. */
export function isRunning(pid: number, marker: string): boolean {
  return lookAt(pid, marker) !== 'gone';
}

/** stopProcess sends SIGTERM, waits up to `graceMs`, then SIGKILL. Resolves when it is gone. */
export async function stopProcess(pid: number, marker: string, graceMs = 15_000): Promise<void> {
  if (!isRunning(pid, marker)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
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

/** spawnDetached starts a long-lived process in its own session, stdout and stderr appended to `logFile`; returns its pid. */
export function spawnDetached(file: string, args: string[], logFile: string): number {
  const fd = openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (!child.pid) throw new Error(`could not start ${file}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** tail returns the last lines of a log file, for error messages. */
export function tail(file: string, lines = 5): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
