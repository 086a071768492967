/**
 * The one real 3-node local cluster every e2e suite of issue 4 shares (starting one costs far
 * more than any test). Suites call `useSharedCluster()`; the first suite to run starts it with
 * `berth up`. A root-level `after` hook, registered once when this module loads, runs
 * `berth down` after the last suite, also when tests failed, and fails the run if anything of
 * the cluster is left on the machine (leftovers()), or if the control plane refused any call of
 * the cluster's own members and CLI (refusedCalls()).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeBinary } from '../../cli/local-cluster/paths.js';
import type { Pod } from '../../proto/objects/pod.js';
import { berth, type RunResult } from './cli.js';
import { leftovers, sandboxNetns, startLocalCluster, type LocalClusterHandle, type LocalClusterNode } from './local-cluster.js';
import { eventually } from './wait.js';

let started: Promise<LocalClusterHandle> | undefined;
let users = 0;
/** Every pid and pod uid the tests saw, so the final leftovers check covers containers and pod namespaces. */
const seenPids = new Set<number>();
const seenPodUids = new Set<string>();

/** useCluster returns the shared cluster, starting it on first use. */
function useCluster(): Promise<LocalClusterHandle> {
  users++;
  started ??= startLocalCluster({ nodes: 3 });
  return started;
}

/**
 * useSharedCluster registers, for the calling suite, the shared cluster handed to `use` before its
 * first test (starting it may take minutes), and `cleanUp` after its last test, also when one failed:
 * each suite removes what it applied, so the next suite starts from an empty namespace.
 */
export function useSharedCluster(use: (cluster: LocalClusterHandle) => void, cleanUp?: (cluster: LocalClusterHandle) => Promise<unknown>): void {
  let cluster: LocalClusterHandle | undefined;
  before(async function () {
    this.timeout(240_000);
    cluster = await useCluster();
    use(cluster);
  });
  if (cleanUp) {
    after(async () => {
      if (cluster) await cleanUp(cluster);
    });
  }
}

after('berth down of the shared e2e cluster leaves nothing behind', async function () {
  this.timeout(120_000);
  if (!started) return;
  const cluster = await started.catch(() => undefined);
  if (!cluster) return;
  const record = cluster.record;
  const pids = [record.controlPlanePid ?? 0, record.registry?.pid ?? 0, ...cluster.nodes.map((n) => n.agentPid), ...seenPids].filter((p) => p > 0);
  const etcdPid = readPid(join(record.controlPlaneDataDir, 'etcd', 'etcd.pid'));
  if (etcdPid) pids.push(etcdPid);
  const sandboxes = cluster.nodes.flatMap((n) => sandboxNetns(n.root));
  const refused = refusedCalls(cluster);
  await cluster.down();
  const left = leftovers(record, pids, [...[...seenPodUids].map(podNetnsName), ...sandboxes]);
  const empty = Object.values(left).every((l) => l.length === 0);
  if (!empty) throw new Error(`berth down left things behind (${users} suites used the cluster): ${JSON.stringify(left)}`);
  if (refused.length > 0) throw new Error(`the control plane refused ${refused.length} calls of the cluster's own agents or CLI, e.g. ${refused.slice(0, 3).join(' | ')}`);
});

/** The control plane's log lines of calls it refused (authorization): the e2e tests make none that should be. */
function refusedCalls(cluster: LocalClusterHandle): string[] {
  let log: string;
  try {
    log = readFileSync(join(cluster.stateDir, 'control-plane.log'), 'utf8');
  } catch {
    return [];
  }
  return log.split('\n').filter((line) => line.includes('"permission denied"'));
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The agent's pod network namespace name (node-agent/network/pod-network.ts netnsName). */
function podNetnsName(uid: string): string {
  return `berth-${uid.replace(/-/g, '').slice(0, 12)}`;
}

/** run runs the real CLI against the cluster and throws with its output when it fails. */
export async function run(cluster: LocalClusterHandle, args: string[], input?: string): Promise<RunResult> {
  const result = await berth(cluster.server, args, input, cluster.env);
  if (result.code !== 0) throw new Error(`berth ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** apply runs `berth apply -f -` with a manifest. */
export function apply(cluster: LocalClusterHandle, manifest: string): Promise<RunResult> {
  return run(cluster, ['apply', '-f', '-'], manifest);
}

/** getJson runs `berth get KIND [NAME] -o json` and parses it. */
export async function getJson<T>(cluster: LocalClusterHandle, args: string[]): Promise<T> {
  const out = await run(cluster, ['get', ...args, '-o', 'json']);
  return JSON.parse(out.stdout) as T;
}

/** pods lists the pods matching a label selector, as `berth get pods -l … -o json` shows them. */
export async function pods(cluster: LocalClusterHandle, selector: string): Promise<Pod[]> {
  const list = await getJson<{ items: Pod[] }>(cluster, ['pods', '-l', selector]);
  for (const p of list.items) if (p.metadata.uid) seenPodUids.add(p.metadata.uid);
  return list.items;
}

/** pod gets one pod by name. */
export async function pod(cluster: LocalClusterHandle, name: string): Promise<Pod> {
  const p = await getJson<Pod>(cluster, ['pod', name]);
  if (p.metadata.uid) seenPodUids.add(p.metadata.uid);
  return p;
}

/** isRunning: the pod is Running and every one of its containers runs. */
export function isRunning(p: Pod): boolean {
  return p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).length > 0 && (p.status.containerStatuses ?? []).every((c) => c.state?.running !== undefined);
}

/** waitFor polls every 200 ms until the assertion holds (state that converges, not a timing check). */
export function waitFor<T>(assertion: () => T | Promise<T>, timeoutMs = 30_000): Promise<T> {
  return eventually(assertion, timeoutMs, 200);
}

/** nodeOf is the test cluster node a pod is bound to. */
export function nodeOf(cluster: LocalClusterHandle, p: Pod): LocalClusterNode {
  const node = cluster.nodes.find((n) => n.name === p.spec.nodeName);
  if (!node) throw new Error(`pod ${p.metadata.name} is on no known node (${String(p.spec.nodeName)})`);
  return node;
}

/**
 * hostPid is the host pid of the main process of a pod's container, as berth-runtime reports
 * it for the current instance (`<pod uid>_<container>_<restartCount>`).
 */
export function hostPid(cluster: LocalClusterHandle, p: Pod, container?: string): number {
  const name = container ?? p.spec.containers[0]?.name ?? '';
  const status = p.status?.containerStatuses?.find((c) => c.name === name);
  const id = `${p.metadata.uid}_${name}_${status?.restartCount ?? 0}`;
  const root = join(nodeOf(cluster, p).root, 'runtime', 'state');
  const state = JSON.parse(execFileSync(runtimeBinary(), ['--root', root, 'state', id], { encoding: 'utf8' })) as { pid?: number };
  if (!state.pid) throw new Error(`container ${id} has no pid`);
  seenPids.add(state.pid);
  return state.pid;
}

/** deployment is a minimal Deployment manifest running busybox with `command`. */
export function deployment(name: string, replicas: number, command: string[]): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox:1.35
        command: ${JSON.stringify(command)}
`;
}

/** The command of a container that runs until it is stopped. */
export const SLEEP = ['sleep', '1000000'];
