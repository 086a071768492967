/**
 * cluster.json: the record of everything `berth up` made, written BEFORE each step is taken, so
 * it doubles as the undo log. `berth down` (and `berth up` when a later step fails) undoes
 * exactly what is recorded, by PID and by name, never by searching for look-alikes.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** NodeRecord is one node of the local cluster: its namespace, address, state and agent. */
export interface NodeRecord {
  /** The Node object's name, `node-<i>`. */
  name: string;
  netns: string;
  hostVeth: string;
  ip: string;
  /** The agent's --root; every mount and container of the node lives under it. */
  root: string;
  cgroupParent: string;
  agentPid?: number;
}

/** ClusterRecord is what cluster.json holds. */
export interface ClusterRecord {
  name: string;
  stateDir: string;
  labCidr: string;
  bridgeIp: string;
  /** The lab bridge, once `berth up` started creating it. */
  bridge?: string;
  /** ClusterAPI address, <bridge ip>:<port>. */
  server: string;
  controlPlanePid?: number;
  /** The control plane's --data-dir (its embedded etcd keeps etcd.pid under it). */
  controlPlaneDataDir: string;
  etcdPort: number;
  registry?: { address: string; dir: string; config: string; pid?: number };
  /** The cgroup every node's cgroup parent lives under, `/berth-<cluster>`. */
  cgroupRoot: string;
  nodes: NodeRecord[];
  /** Directories made (removed by down, after everything mounted under them is gone). */
  dirs: string[];
  /** Parents of the state dir that up created; removed by down when empty, deepest first. */
  parentsMade?: string[];
}

/** recordPath is <stateDir>/cluster.json. */
export function recordPath(stateDir: string): string {
  return join(stateDir, 'cluster.json');
}

/** readRecord returns the recorded cluster, or undefined when there is none (or it is unreadable). */
export function readRecord(stateDir: string): ClusterRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(recordPath(stateDir), 'utf8')) as ClusterRecord;
    return Array.isArray(record.nodes) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** writeRecord replaces cluster.json atomically (a crash leaves the old or the new record, never half of one). */
export function writeRecord(record: ClusterRecord): void {
  const path = recordPath(record.stateDir);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}
