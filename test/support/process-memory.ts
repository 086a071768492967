/**
 * How much memory a running process holds, read from Linux's /proc/<pid>/status, for the
 * benchmarks (e.g. each node agent's RSS). Self-contained: give it pids, it reads the kernel's
 * figures and nothing else.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** ProcessMemory is used for one process's memory figures, in KiB as the kernel reports them. */
export interface ProcessMemory {
  pid: number;
  /** Resident set size now (VmRSS = RssAnon + RssFile + RssShmem). */
  rssKiB: number;
  /** Peak resident set size since the process started or since resetPeakRss (VmHWM). */
  peakKiB: number;
  /** Resident private memory: heaps, stacks, malloc arenas (RssAnon). */
  anonKiB: number;
  /** Resident file-backed pages: the node binary, shared libraries, the addon (RssFile). */
  fileKiB: number;
  threads: number;
}

function field(status: string, name: string, pid: number): number {
  const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status);
  if (!m?.[1]) throw new Error(`/proc/${pid}/status has no ${name} line (is ${pid} a kernel thread or gone?)`);
  return Number(m[1]);
}

/** processMemory reads /proc/<pid>/status; throws naming the pid if the process is gone. */
export function processMemory(pid: number): ProcessMemory {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the memory of process ${pid}: ${(e as Error).message}`);
  }
  return {
    pid,
    rssKiB: field(status, 'VmRSS', pid),
    peakKiB: field(status, 'VmHWM', pid),
    anonKiB: field(status, 'RssAnon', pid),
    fileKiB: field(status, 'RssFile', pid),
    threads: field(status, 'Threads', pid),
  };
}

/** resetPeakRss starts a new VmHWM window for `pid` (clear_refs 5; needs the right to ptrace it, e.g. root). */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** mib formats KiB as MiB with one decimal. */
export function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}
