/**
 * What the cluster's processes cost during one benchmark run: CPU time (their own, and that of
 * the commands they waited for, i.e. berth-runtime) and peak resident memory, read from /proc.
 * Peaks are per run: writing "5" to /proc/<pid>/clear_refs resets VmHWM to the current RSS.
 * The containers' monitors (one berth-runtime monitor process per container, detached from
 * the agent) are summed separately.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpuOf, runtimeList, type CpuSample } from './bench-cluster.js';
import type { LocalClusterNode } from './local-cluster.js';

/** MeteredProcess is a long-lived cluster process: an agent, the control plane or etcd. */
export interface MeteredProcess {
  name: string;
  pid: number;
}

/** ProcessCost is what one process used over a run. */
export interface ProcessCost {
  name: string;
  /** CPU ms itself plus commands it waited for. */
  cpuMs: number;
  /** Of which in commands it waited for (berth-runtime create/start/…). */
  childrenCpuMs: number;
  /** VmHWM since the run began (kB). */
  peakRssKb: number;
  /** VmRSS at the end of the run (kB). */
  rssKb: number;
}

/** MonitorCost is the containers' monitors together at the end of a run. */
export interface MonitorCost {
  count: number;
  /** CPU ms over their whole lives (they were all started during the run); monitors are single-threaded. */
  cpuMs: number;
  rssKb: number;
  peakRssKb: number;
}

/** memoryOf reads VmRSS and VmHWM (kB) of a process; zeros once it is gone. */
export function memoryOf(pid: number): { rssKb: number; peakRssKb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssKb: field('VmRSS'), peakRssKb: field('VmHWM') };
  } catch {
    return { rssKb: 0, peakRssKb: 0 };
  }
}

/** resetPeakRss makes VmHWM start again from the current RSS. */
export function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // gone already
  }
}

/** ResourceMeter measures MeteredProcesses from start() to finish(). */
export class ResourceMeter {
  private before = new Map<number, CpuSample>();

  constructor(readonly processes: MeteredProcess[]) {}

  start(): void {
    for (const p of this.processes) resetPeakRss(p.pid);
    this.before = new Map(this.processes.map((p) => [p.pid, cpuOf(p.pid)]));
  }

  finish(): ProcessCost[] {
    return this.processes.map((p) => {
      const now = cpuOf(p.pid);
      const was = this.before.get(p.pid) ?? { selfMs: 0, childrenMs: 0 };
      const childrenCpuMs = now.childrenMs - was.childrenMs;
      return { name: p.name, cpuMs: now.selfMs - was.selfMs + childrenCpuMs, childrenCpuMs, ...memoryOf(p.pid) };
    });
  }
}

/** cpuNsOf reads a single-threaded process's CPU time in ns (/proc/<pid>/schedstat: finer than stat's 10 ms ticks). */
function cpuNsOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0] ?? 0);
  } catch {
    return 0;
  }
}

/** monitorCost sums the monitors of every container the nodes' runtimes hold now. */
export function monitorCost(nodes: LocalClusterNode[]): MonitorCost {
  const total: MonitorCost = { count: 0, cpuMs: 0, rssKb: 0, peakRssKb: 0 };
  for (const node of nodes) {
    for (const c of runtimeList(node)) {
      if (!c.monitorPid) continue;
      const mem = memoryOf(c.monitorPid);
      total.count++;
      total.cpuMs += cpuNsOf(c.monitorPid) / 1e6;
      total.rssKb += mem.rssKb;
      total.peakRssKb += mem.peakRssKb;
    }
  }
  return total;
}
