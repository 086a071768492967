/**
 * Helpers for the benchmarks that run on a real local cluster (test/bench/cluster.bench.ts):
 * one cluster for the whole run, always torn down (also on SIGINT/SIGTERM), and direct looks at
 * a node's berth-runtime state, which the agent's own records are built from.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeBinary } from '../../cli/local-cluster/paths.js';
import { leftovers, sandboxNetns, startLocalCluster, type LocalClusterHandle, type LocalClusterNode } from './local-cluster.js';

/** nowMs is the wall clock with sub-millisecond precision (the clock berth-runtime stamps with). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** parseTimeMs reads an RFC 3339 time with any number of fraction digits (Date.parse stops at ms). */
export function parseTimeMs(text: string | undefined): number | undefined {
  const m = text ? /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text) : null;
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  return Number.isNaN(seconds) ? undefined : seconds + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

/**
 * withBenchCluster brings up a unique local cluster of `nodes` nodes, runs `body` on it and
 * runs `berth down` afterwards whatever happens: on success, on error, and on SIGINT/SIGTERM/
 * SIGHUP (then the process exits 130). It prints what is left of the cluster afterwards
 * (nothing, when down did its job).
 */
export async function withBenchCluster(nodes: number, body: (cluster: LocalClusterHandle) => Promise<void>): Promise<void> {
  let cluster: LocalClusterHandle | undefined;
  let interrupted = false;
  let downing: Promise<unknown> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: removing the cluster…`);
    // Before up has returned, up undoes itself (it gets the signal too) or the check below downs it.
    if (cluster) downing = cluster.down().finally(() => process.exit(130));
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  const upStarted = Date.now();
  try {
    cluster = await startLocalCluster({ nodes, timeoutSeconds: 180 });
    if (interrupted) {
      await cluster.down();
      process.exit(130);
    }
    console.log(`cluster up: ${nodes} nodes in ${((Date.now() - upStarted) / 1000).toFixed(1)} s (${cluster.flags.join(' ')})\n`);
    await body(cluster);
  } finally {
    // The body fails once the cluster goes away under it: that failure must not end the process before down has.
    if (interrupted) {
      await downing;
      process.exit(130);
    }
    if (cluster) {
      const record = cluster.record;
      const pids = [record.controlPlanePid ?? 0, record.registry?.pid ?? 0, ...cluster.nodes.map((n) => n.agentPid)];
      const sandboxes = cluster.nodes.flatMap((n) => sandboxNetns(n.root));
      await cluster.down();
      const left = leftovers(record, pids, sandboxes);
      const count = Object.values(left).reduce((sum, list) => sum + list.length, 0);
      console.log(`\ncluster down: ${count === 0 ? 'nothing left behind' : `LEFT BEHIND ${JSON.stringify(left)}`}`);
    }
    for (const s of signals) process.off(s, onSignal);
  }
}

/** RuntimeState is the part of `berth-runtime state` the benchmarks read. */
export interface BenchRuntimeState {
  id: string;
  status: 'created' | 'running' | 'stopped';
  pid: number;
  monitorPid?: number;
  created?: string;
  startedAt?: string;
  finishedAt?: string;
}

/** The berth-runtime state root of a node agent (BerthRuntime keeps it at <root>/runtime/state). */
export function runtimeStateRoot(node: LocalClusterNode): string {
  return join(node.root, 'runtime', 'state');
}

/** runtimeState runs `berth-runtime state <id>` on a node; undefined when the id is unknown. */
export function runtimeState(node: LocalClusterNode, id: string): BenchRuntimeState | undefined {
  try {
    return JSON.parse(execFileSync(runtimeBinary(), ['--root', runtimeStateRoot(node), 'state', id], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as BenchRuntimeState;
  } catch {
    return undefined;
  }
}

/** runtimeList runs `berth-runtime list` on a node. */
export function runtimeList(node: LocalClusterNode): BenchRuntimeState[] {
  try {
    const out = execFileSync(runtimeBinary(), ['--root', runtimeStateRoot(node), 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out ? (JSON.parse(out) as BenchRuntimeState[]) : [];
  } catch {
    return [];
  }
}

/**
 * containerTimes reads, from a node's disk, when the agent began creating instance `id`
 * (berth-container.json createdAt, written first by BerthRuntime.create) and when
 * `berth-runtime create` recorded it (state.json created). Epoch ms; undefined when gone.
 */
export function containerTimes(node: LocalClusterNode, id: string): { createBeganMs?: number; runtimeCreatedMs?: number } {
  const read = (path: string, field: string): number | undefined => {
    try {
      return parseTimeMs((JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>)[field]);
    } catch {
      return undefined;
    }
  };
  const createBeganMs = read(join(node.root, 'runtime', 'containers', id, 'berth-container.json'), 'createdAt');
  const runtimeCreatedMs = read(join(runtimeStateRoot(node), id, 'state.json'), 'created');
  return { ...(createBeganMs !== undefined ? { createBeganMs } : {}), ...(runtimeCreatedMs !== undefined ? { runtimeCreatedMs } : {}) };
}

/** killProcess sends SIGKILL, ignoring a process that is already gone. */
export function killProcess(pid: number | undefined): void {
  if (!pid || pid <= 0) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/**
 * killNode makes a node die like a machine: its agent is SIGKILLed first (so nothing restarts
 * the containers), then every container's init and monitor. Returns the wall-clock time of the
 * agent's kill and how many containers were killed.
 */
export function killNode(node: LocalClusterNode): { killedAtMs: number; containers: number } {
  const containers = runtimeList(node);
  const killedAtMs = nowMs();
  killProcess(node.agentPid);
  for (const c of containers) {
    killProcess(c.pid);
    killProcess(c.monitorPid);
  }
  return { killedAtMs, containers: containers.length };
}

/** sleep for ms. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** CpuSample is the CPU time (ms) a process used itself and that of its reaped children (execFile'd commands). */
export interface CpuSample {
  selfMs: number;
  childrenMs: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** cpuOf reads /proc/<pid>/stat (zeros once the process is gone). */
export function cpuOf(pid: number): CpuSample {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // Fields 14–17 of stat (utime stime cutime cstime) are 11–14 after the comm field.
    return { selfMs: ((f[11] ?? 0) + (f[12] ?? 0)) * TICK_MS, childrenMs: ((f[13] ?? 0) + (f[14] ?? 0)) * TICK_MS };
  } catch {
    return { selfMs: 0, childrenMs: 0 };
  }
}

/** The processes of a cluster worth accounting: agents, the control plane and its embedded etcd. */
export function clusterProcesses(cluster: LocalClusterHandle): Array<{ name: string; pid: number }> {
  const cp = cluster.record.controlPlanePid ?? 0;
  let etcd = 0;
  for (const file of [join(cluster.record.controlPlaneDataDir, 'etcd', 'etcd.pid'), join(cluster.record.controlPlaneDataDir, 'etcd.pid')]) {
    try {
      etcd ||= Number(readFileSync(file, 'utf8').trim());
    } catch {
      // not there
    }
  }
  return [
    ...cluster.nodes.map((n) => ({ name: `agent ${n.name}`, pid: n.agentPid })),
    { name: 'control plane', pid: cp },
    ...(etcd ? [{ name: 'etcd', pid: etcd }] : []),
  ];
}
