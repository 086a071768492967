/**
 * Pod start as a user sees it, one run: a `berth get pods -w` process is started first; then
 * the clock starts as the `berth apply -f FILE` process is launched (a Deployment of N replicas
 * running PROOF_COMMAND). Per pod it stops
 * - when `berth get pods -w` printed the pod Running with its container ready (its stdout, as
 *   it arrives here), and
 * - when the container's own command ran: the time it printed (adjtimex, the container's
 *   reading of this machine's clock, µs), read from the CRI log on the node's disk
 *   (<agent root>/runtime/containers/<id>/container.log); the monitor's timestamp of that first
 *   log line is kept too.
 * Besides, per pod, where the time went (see STEPS) and what the cluster's processes cost.
 * Each run starts on a cluster at rest, as a user's apply usually does: the clock starts only
 * once every node's sandbox pool has refilled after the run before (the wait is printed; after
 * 120 s the run starts anyway and says so).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POD_SANDBOX_POOL } from '../../node-agent/agent/options.js';
import type { Event } from '../../proto/objects/cluster.js';
import { CliPodWatch, runBerth } from './bench-cli.js';
import { containerTimes, nowMs, parseTimeMs, sleep } from './bench-cluster.js';
import { containerDir, NS, removeDeployment, type BenchContext } from './bench-context.js';
import { CACHED_IMAGE, pushUniqueBusybox } from './bench-images.js';
import { defined, isRunningReady, proofDeployment, watchObjects, type PodTrace } from './bench-pods.js';
import { monitorCost, type MonitorCost, type ProcessCost } from './bench-resources.js';
import type { LocalClusterNode } from './local-cluster.js';

/**
 * The steps of pod start, each from the end of the one before (see breakdown()). The first is
 * measured between two exact clocks (the launch, the scheduler's PodScheduled time); the four
 * "·" lines split it by arrivals at the bench's ClusterAPI watch, which lags under load.
 */
export const STEPS = [
  'apply launched → pod bound (CLI … scheduler)',
  '· launched → Deployment seen (CLI start-up, Apply)',
  '· Deployment → ReplicaSet seen (deployment ctrl)',
  '· ReplicaSet → pod seen (replicaset controller)',
  '· pod seen → bound (scheduler)',
  'bound → pod network attached (watch, netns, CNI)',
  'network → agent begins create (image)',
  'create began → runtime created (rootfs, bundle)',
  'runtime created → started (berth-runtime start)',
  'started → command ran (the container\'s clock)',
  'started → Running in a ClusterAPI watch (status)',
  'ClusterAPI watch → `berth get -w` printed Running',
] as const;

/** PodStartRun is one run's figures; latencies are ms from the launch of `berth apply`. */
export interface PodStartRun {
  pods: number;
  cached: boolean;
  load1: number;
  /** Per pod: `berth get pods -w` printed it Running. */
  printed: number[];
  /** Per pod: its command ran (container clock). */
  ran: number[];
  /** Per pod: the monitor stamped its first log line. */
  logged: number[];
  /** Per node: the warm pool's ready sandboxes when the clock started (empty without a CNI network). */
  poolReady: number[];
  /** How long the run waited for the pools to refill after the run before (undefined: gave up after POOL_REFILL_WAIT_MS). */
  settledInMs: number | undefined;
  /** Pods of the run that did not stay (failed or deleted and replaced by the ReplicaSet): "name: why". */
  replaced: string[];
  applyExitedMs: number;
  /** Per pod: from the Deployment's arrival at the bench's ClusterAPI watch to the pod's Running there (no CLI on either end). */
  storedToRunning: number[];
  steps: number[][];
  /** Per pod of an uncached run: the Pulled event's duration (each pod waits for its node's one pull). */
  pullMs: number[];
  costs: ProcessCost[];
  monitors: MonitorCost;
}

/** What the container's log says: when its command read the clock and when the monitor stamped the first line. */
function proofOf(b: BenchContext, trace: PodTrace): { ranMs: number; loggedMs: number } | undefined {
  try {
    const log = readFileSync(join(containerDir(b.node(trace.node), `${trace.uid}_main_0`), 'container.log'), 'utf8');
    const sec = /time\.tv_sec:\s+(\d+)/.exec(log)?.[1];
    const usec = /time\.tv_usec:\s+(\d+)/.exec(log)?.[1];
    const loggedMs = parseTimeMs(/^(\S+) std/.exec(log)?.[1]);
    if (sec === undefined || usec === undefined || loggedMs === undefined) return undefined;
    return { ranMs: Number(sec) * 1000 + Number(usec) / 1000, loggedMs };
  } catch {
    return undefined;
  }
}

/** Per pod (in `traces` order) its proof, waiting until every container has written one. */
async function proofs(b: BenchContext, traces: PodTrace[], timeoutMs: number): Promise<Array<{ ranMs: number; loggedMs: number }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = traces.map((t) => proofOf(b, t));
    const missing = found.filter((p) => p === undefined).length;
    if (missing === 0) return found as Array<{ ranMs: number; loggedMs: number }>;
    if (Date.now() > deadline) throw new Error(`${missing} of ${traces.length} containers wrote no proof of running within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The Pulled events' durations ("… in 123ms") of the pods of app `name`. */
async function pullTimes(b: BenchContext, name: string): Promise<number[]> {
  const { items } = await b.client.list({ resource: 'events', namespace: NS });
  return (items as Event[]).filter((e) => e.reason === 'Pulled' && e.involvedObject.name.startsWith(`${name}-`)).map((e) => Number(/in (\d+)ms/.exec(e.message)?.[1] ?? NaN));
}

/** firstSeen stamps the arrival of the first object of `resource` whose name starts with `prefix`. */
function firstSeen(b: BenchContext, resource: string, prefix: string): { at(): number | undefined; stop(): void } {
  let at: number | undefined;
  const stop = watchObjects(b.cluster, resource, NS, (_type, object) => {
    if (object.metadata.name.startsWith(prefix)) at ??= nowMs();
  });
  return { at: () => at, stop };
}

/** podStartRun runs one measured pod start of `pods` replicas (see the file comment) and removes the Deployment afterwards. */
export async function podStartRun(b: BenchContext, pods: number, cached: boolean, run: number): Promise<PodStartRun> {
  const name = `start-${pods}-${cached ? 'cached' : 'pull'}-${run}`;
  const image = cached ? CACHED_IMAGE : (await pushUniqueBusybox(b.cluster.registry)).image;
  const file = join(b.workDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(proofDeployment(name, NS, pods, image), null, 2));
  const cli = new CliPodWatch(b.cluster);
  const deployment = firstSeen(b, 'deployments', name);
  const replicaSet = firstSeen(b, 'replicasets', `${name}-`);
  try {
    await cli.ready();
    // A user applies to a cluster at rest: each node's sandbox pool refilled after the last run.
    const settledInMs = await poolsRefilled(b);
    // Let both watches settle before the clock starts.
    await sleep(1000);
    const load1 = loadavg()[0] ?? NaN;
    const poolReady = b.cluster.nodes.map(poolReadyOn);
    b.meter.start();
    const t0 = nowMs();
    const applying = runBerth(b.cluster, ['apply', '-f', file]);
    await cli.until(`${pods} pods Running`, () => cli.runningNow(`${name}-`).length >= pods, 600_000);
    const costs = b.meter.finish();
    const apply = await applying;
    const live = () => b.pods.of(name, true).filter((t) => isRunningReady(t.latest));
    await b.pods.until('every pod Running in the bench\'s ClusterAPI watch', () => live().length >= pods, 60_000);
    // The figures are those of the pods that stayed; a pod that failed and was replaced is reported apart.
    const traces = live();
    const replaced = b.pods.of(name).filter((t) => !traces.includes(t)).map((t) => `${t.name}: ${t.deletedMs ? 'deleted ' : ''}${t.latest.status?.phase ?? '?'}/${t.latest.status?.reason ?? '-'}`);
    const proved = await proofs(b, traces, 60_000);
    const rows = new Map(cli.of(`${name}-`).map((r) => [r.name, r]));
    const printedAt = traces.map((t) => rows.get(t.name)?.runningMs);
    return {
      pods,
      cached,
      load1,
      poolReady,
      settledInMs,
      replaced,
      printed: defined(printedAt).map((x) => x - t0),
      ran: proved.map((p) => p.ranMs - t0),
      logged: proved.map((p) => p.loggedMs - t0),
      applyExitedMs: apply.exitedMs - t0,
      storedToRunning: defined(traces.map((t) => t.runningSeenMs)).map((x) => x - (deployment.at() ?? NaN)),
      steps: breakdown(b, traces, printedAt, proved, t0, deployment.at(), replicaSet.at()),
      pullMs: cached ? [] : await pullTimes(b, name),
      costs,
      monitors: monitorCost(b.cluster.nodes),
    };
  } finally {
    deployment.stop();
    replicaSet.stop();
    await cli.stop();
    await removeDeployment(b, name);
  }
}

/**
 * networkAttachedMs: per pod uid, when the agent gave the pod its sandbox: the mtime of the
 * sandbox's record (<agent root>/network/pods/<sandbox id>.json, naming the pod), written once
 * ADD answered for a sandbox of the pod's own, or when the pod took a sandbox of the warm pool.
 * Empty without a CNI network.
 */
function networkAttachedMs(node: LocalClusterNode): Map<string, number> {
  const dir = join(node.root, 'network', 'pods');
  const out = new Map<string, number>();
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
  } catch {
    return out;
  }
  for (const file of files) {
    try {
      const path = join(dir, file);
      const { podUid } = JSON.parse(readFileSync(path, 'utf8')) as { podUid?: string };
      if (podUid) out.set(podUid, statSync(path).mtimeMs);
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

/** How long a run waits for the nodes' sandbox pools to refill before it starts anyway. */
const POOL_REFILL_WAIT_MS = 120_000;

/** poolsRefilled waits until every node's sandbox pool is full again; the time it took, or undefined if it gave up. */
async function poolsRefilled(b: BenchContext): Promise<number | undefined> {
  const began = nowMs();
  while (nowMs() - began < POOL_REFILL_WAIT_MS) {
    if (b.cluster.nodes.every((n) => poolReadyOn(n) >= DEFAULT_POD_SANDBOX_POOL)) return nowMs() - began;
    await sleep(250);
  }
  return undefined;
}

/** poolReadyOn counts a node's ready pool sandboxes: records that name no pod and hold an ADD's result. */
function poolReadyOn(node: LocalClusterNode): number {
  const dir = join(node.root, 'network', 'pods');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
  } catch {
    return 0; // no CNI network
  }
  let ready = 0;
  for (const file of files) {
    try {
      const record = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { podUid?: string; result?: unknown };
      if (record.podUid === undefined && record.result !== undefined) ready++;
    } catch {
      // removed meanwhile
    }
  }
  return ready;
}

/** breakdown: per step of STEPS, the per-pod durations (a single value for the per-Deployment steps). */
function breakdown(b: BenchContext, traces: PodTrace[], printedAt: Array<number | undefined>, proved: Array<{ ranMs: number }>, t0: number, deploymentMs: number | undefined, replicaSetMs: number | undefined): number[][] {
  const steps: number[][] = STEPS.map(() => []);
  const add = (step: number, from: number | undefined, to: number | undefined) => {
    if (from !== undefined && to !== undefined) steps[step]?.push(to - from);
  };
  add(1, t0, deploymentMs);
  add(2, deploymentMs, replicaSetMs);
  const attached = new Map(b.cluster.nodes.map((n) => [n.name, networkAttachedMs(n)]));
  traces.forEach((t, i) => {
    const times = containerTimes(b.node(t.node), `${t.uid}_main_0`);
    add(0, t0, t.scheduledMs);
    add(3, replicaSetMs, t.addedMs);
    add(4, t.addedMs, t.scheduledMs);
    const attachedMs = attached.get(b.node(t.node).name)?.get(t.uid);
    add(5, t.scheduledMs, attachedMs);
    add(6, attachedMs, times.createBeganMs);
    add(7, times.createBeganMs, times.runtimeCreatedMs);
    add(8, times.runtimeCreatedMs, t.startedAtMs);
    add(9, t.startedAtMs, proved[i]?.ranMs);
    add(10, t.startedAtMs, t.runningSeenMs);
    add(11, t.runningSeenMs, printedAt[i]);
  });
  return steps;
}
