/**
 * Rollout benchmark on a real 3-node local cluster (`berth up`, brought up once and always
 * removed): the figures of the rollouts issue, with several runs each, printed with their
 * targets, spread and the machine's load. Asserts nothing.
 *
 *   node dist/test/bench/rollout.bench.js [--runs 3] [--connections 8]
 *
 * Layout: a client pod on node-1, then node-1 cordoned, so every web pod runs on another node.
 * Deployment `web`: 10 replicas of a busybox httpd (rollout-web:v1 / v2, alternated run after
 * run), readiness probe every 1 s, minReadySeconds 2, RollingUpdate maxSurge 2 maxUnavailable 0,
 * behind Service `web`. Every load generator runs inside the client pod's network namespace with
 * the host's binaries, targets only the ClusterIP and stops by itself.
 *
 * under load  wrk (keep-alive client: -c --connections, 1 s windows back to back) and a prober
 *             opening a new connection every 10 ms, both to the ClusterIP, from 5 s before the
 *             rollout to its end. busybox httpd closes each connection after its answer, so
 *             wrk's connections are reopened for every request too. Printed: failed requests
 *             (target 0) and wrk's requests/s during the rollout against the 5 s before it.
 * duration    apply of the new image → rollout complete (updated = ready = available = replicas,
 *             no old replica left), without load, next to its lower bound:
 *               ceil(replicas / maxSurge) × (minReadySeconds + readiness periodSeconds)
 *             (maxUnavailable 0: each wave of maxSurge new pods must pass a readiness probe and
 *             then stay ready minReadySeconds before the next wave may start). Target ≤ 1.5×.
 * rollback    Deployment `rollback` (6 replicas, maxSurge 2, maxUnavailable 2,
 *             progressDeadlineSeconds 10, berth.dev/auto-rollback) rolled to an image that never
 *             becomes ready: from the deadline (the Progressing condition's lastUpdateTime +
 *             progressDeadlineSeconds) to the old revision fully available again, less the time
 *             the old pods it had to start again needed to become ready. Target < 5 s.
 *             The condition's times have whole seconds: the deadline is taken at the start of
 *             its second, so the figure may be up to 1 s longer than the truth, never shorter.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ClusterClient } from '../../cli/client.js';
import type { Deployment } from '../../proto/objects/apps.js';
import type { Service } from '../../proto/objects/service.js';
import { parseTimeMs, sleep, withBenchCluster, nowMs } from '../support/bench-cluster.js';
import { clientPod } from '../support/bench-network-objects.js';
import { podNetns } from '../support/bench-netns.js';
import { isRunningReady, PodWatch, quantile } from '../support/bench-pods.js';
import { rolledOut, summed, untilDeployment, wrkWhile, wrkWindow, type WrkWindow } from '../support/bench-rollout.js';
import { Prober } from '../support/bench-service-churn.js';
import { conditionOf, image, NS, pushWebImages, webDeployment, webService, type Version } from '../support/rollout-objects.js';
import type { LocalClusterNode } from '../support/local-cluster.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, connections: { type: 'string', default: '8' } } });
const positive = (flag: string, text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer (got "${text}")`);
  return n;
};
const RUNS = positive('--runs', values.runs);
const CONNECTIONS = positive('--connections', values.connections);

const REPLICAS = 10;
const MAX_SURGE = 2;
const MIN_READY_SECONDS = 2;
const READINESS_PERIOD_SECONDS = 1;
const DEADLINE_SECONDS = 10;
const BOUND_MS = Math.ceil(REPLICAS / MAX_SURGE) * (MIN_READY_SECONDS + READINESS_PERIOD_SECONDS) * 1000;
const AUTO_ROLLBACK = { 'berth.dev/auto-rollback': 'true' };

const web = (version: Version): Deployment => webDeployment('web', { replicas: REPLICAS, version, minReadySeconds: MIN_READY_SECONDS, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: MAX_SURGE, maxUnavailable: 0 } } });
const rollback = (version: Version): Deployment =>
  webDeployment('rollback', { replicas: 6, version, progressDeadlineSeconds: DEADLINE_SECONDS, annotations: AUTO_ROLLBACK, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 2 } } });

const secs = (x: number): string => `${(x / 1000).toFixed(2)} s`;
const stats = (xs: number[], f: (x: number) => string): string => `p50 ${f(quantile(xs, 0.5))}  p99 ${f(quantile(xs, 0.99))}  max ${f(Math.max(...xs))}  (min ${f(Math.min(...xs))}, ${xs.length} runs)`;
const loads = (xs: number[]): string => `load ${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;

async function applyAll(client: ClusterClient, ...objects: object[]): Promise<void> {
  const reply = await client.apply({ documents: objects.map((o, i) => ({ source: 'bench', index: i + 1, json: JSON.stringify(o) })) });
  if (reply.errors.length > 0) throw new Error(`apply failed: ${reply.errors.map((e) => e.message).join('; ')}`);
}

/** One rollout of `web` to `version`, measured from its apply to its completion. */
async function rollout(client: ClusterClient, version: Version): Promise<{ startMs: number; endMs: number }> {
  const startMs = nowMs();
  await applyAll(client, web(version));
  const { atMs } = await untilDeployment(client, 'web', `web rolled out to ${version}`, (d) => rolledOut(d, image(version)));
  return { startMs, endMs: atMs };
}

interface LoadRun {
  failedWrk: number;
  failedNew: number;
  newConnections: number;
  /** Failed requests of the 5 s before the rollout: wrk's and the prober's. */
  failedBefore: number;
  /** The prober's failures by kind (ERR:TIMEOUT, ERR:ECONNREFUSED, …), before and during. */
  failureKinds: Record<string, number>;
  before: number;
  during: number;
  durationMs: number;
  load1: number;
}

async function underLoad(client: ClusterClient, clientNs: string, clusterIP: string, version: Version): Promise<LoadRun> {
  // A connection unanswered for 2 s fails, as a wrk request does.
  const prober = new Prober(clientNs, `${clusterIP}:80`, 10, 300, 2_000);
  try {
    const before = await wrkWindow(clientNs, `http://${clusterIP}/`, 5, CONNECTIONS);
    const rolloutStartMs = nowMs();
    let done = false;
    const during = wrkWhile(clientNs, `http://${clusterIP}/`, CONNECTIONS, () => done);
    let r: { startMs: number; endMs: number };
    let windows: WrkWindow[] | Error;
    try {
      r = await rollout(client, version);
    } finally {
      done = true;
      // wrk's own failure is reported once the rollout's is not.
      windows = await during.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    }
    if (windows instanceof Error) throw windows;
    // Connections begun just before the end may still be finishing.
    await sleep(1_500);
    const d = summed(windows);
    const failures = prober.answers.filter((a) => a.result.startsWith('ERR:'));
    const failureKinds: Record<string, number> = {};
    for (const a of failures) failureKinds[a.result] = (failureKinds[a.result] ?? 0) + 1;
    return {
      failedWrk: before.errors + d.errors,
      failedNew: failures.length,
      newConnections: prober.answers.length,
      failedBefore: before.errors + failures.filter((a) => a.startMs < rolloutStartMs).length,
      failureKinds,
      before: before.requests / before.seconds,
      during: d.requestsPerSecond,
      durationMs: r.endMs - r.startMs,
      load1: loadavg()[0] ?? NaN,
    };
  } finally {
    await prober.stop();
  }
}

interface RollbackRun {
  totalMs: number;
  podReadyMs: number;
  detectedMs: number;
  load1: number;
}

/** Rolls `rollback` to the image that never becomes ready and measures its automatic return to `version`. */
async function autoRollback(client: ClusterClient, pods: PodWatch, version: Version): Promise<RollbackRun> {
  let progressUpdatedMs: number | undefined;
  let exceededSeenMs: number | undefined;
  const startMs = nowMs();
  await applyAll(client, rollback('never-ready'));
  const track = (d: Deployment, atMs: number): void => {
    const rolledBack = conditionOf(d, 'RolledBack');
    if (rolledBack?.status === 'True' && (parseTimeMs(rolledBack.lastTransitionTime) ?? 0) >= startMs - 1000) exceededSeenMs ??= atMs;
    // Only the failing rollout's progress counts: not the state before it, nor the rollback's own.
    if (exceededSeenMs !== undefined || d.spec.template.spec.containers[0]?.image !== image('never-ready')) return;
    const p = conditionOf(d, 'Progressing');
    if (p?.status === 'True') progressUpdatedMs = parseTimeMs(p.lastUpdateTime) ?? progressUpdatedMs;
    if (p?.reason === 'ProgressDeadlineExceeded') exceededSeenMs = atMs;
  };
  const { atMs: availableMs } = await untilDeployment(client, 'rollback', `rollback back on ${version}`, (d) => conditionOf(d, 'RolledBack')?.status === 'True' && rolledOut(d, image(version)), 120_000, track);
  if (progressUpdatedMs === undefined) throw new Error('the failing rollout never showed Progressing=True before it was rolled back');
  const deadlineMs = progressUpdatedMs + DEADLINE_SECONDS * 1000;
  // The old pods started again after the deadline: their own time from creation to Ready.
  const restarted = pods.of('rollback').filter((t) => t.addedMs > startMs && t.latest.spec.containers[0]?.image === image(version) && t.runningSeenMs !== undefined);
  const podReadyMs = Math.max(0, ...restarted.map((t) => t.runningSeenMs! - t.addedMs));
  return { totalMs: availableMs - deadlineMs, podReadyMs, detectedMs: (exceededSeenMs ?? NaN) - deadlineMs, load1: loadavg()[0] ?? NaN };
}

async function main(): Promise<void> {
  const load = loadavg();
  await withBenchCluster(3, async (cluster) => {
    const client = new ClusterClient(cluster.server, cluster.tls);
    const pods = new PodWatch(cluster, NS);
    try {
      console.log(`machine: ${cpus().length} cores; load average before berth up ${load.map((x) => x.toFixed(2)).join(' ')}, now ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
      await pushWebImages(cluster.registry);
      const node1 = cluster.nodes[0] as LocalClusterNode;
      await applyAll(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
      await applyAll(client, clientPod('rollout-client', NS, node1.name));
      await pods.until('the client pod Ready', () => [...pods.traces.values()].some((t) => t.name === 'rollout-client' && isRunningReady(t.latest)), 120_000);
      const clientTrace = [...pods.traces.values()].find((t) => t.name === 'rollout-client')!;
      await client.cordon(node1.name, true);
      await applyAll(client, web('v1'), webService('web'), rollback('v1'));
      await untilDeployment(client, 'web', 'web on v1', (d) => rolledOut(d, image('v1')));
      await untilDeployment(client, 'rollback', 'rollback on v1', (d) => rolledOut(d, image('v1')));
      const clusterIP = ((await client.get('services', NS, 'web')) as Service).spec.clusterIP ?? '';
      const clientNs = podNetns(node1, clientTrace.latest);
      let version: Version = 'v1';
      const next = (): Version => (version = version === 'v1' ? 'v2' : 'v1');

      console.log(`\nunder load: ${REPLICAS} replicas (maxSurge ${MAX_SURGE}, maxUnavailable 0, minReadySeconds ${MIN_READY_SECONDS}) rolled while wrk -c${CONNECTIONS} (keep-alive) and a new connection every 10 ms hit ${clusterIP} from node-1`);
      const loaded: LoadRun[] = [];
      for (let run = 1; run <= RUNS; run++) {
        const r = await underLoad(client, clientNs, clusterIP, next());
        loaded.push(r);
        console.log(`  run ${run} → ${version}: failed ${r.failedWrk} wrk + ${r.failedNew} of ${r.newConnections} new connections (${r.failedBefore} of them before the rollout began; ${JSON.stringify(r.failureKinds)}); ${r.before.toFixed(0)} req/s before, ${r.during.toFixed(0)} during (${(r.during / r.before).toFixed(2)}×); took ${secs(r.durationMs)} (load ${r.load1.toFixed(1)})`);
      }

      console.log(`\nduration: the same rollout without load; lower bound ceil(${REPLICAS} / ${MAX_SURGE}) × (${MIN_READY_SECONDS} s minReadySeconds + ${READINESS_PERIOD_SECONDS} s readiness period) = ${secs(BOUND_MS)}`);
      const durations: number[] = [];
      const durationLoads: number[] = [];
      for (let run = 1; run <= RUNS; run++) {
        const r = await rollout(client, next());
        durations.push(r.endMs - r.startMs);
        durationLoads.push(loadavg()[0] ?? NaN);
        console.log(`  run ${run} → ${version}: ${secs(r.endMs - r.startMs)} = ${((r.endMs - r.startMs) / BOUND_MS).toFixed(2)}× the bound (load ${durationLoads.at(-1)!.toFixed(1)})`);
      }

      console.log(`\nrollback: 6 replicas (maxSurge 2, maxUnavailable 2, progressDeadlineSeconds ${DEADLINE_SECONDS}, auto-rollback) rolled to an image that never becomes ready`);
      const rollbacks: RollbackRun[] = [];
      for (let run = 1; run <= RUNS; run++) {
        const r = await autoRollback(client, pods, 'v1');
        rollbacks.push(r);
        console.log(`  run ${run}: deadline → v1 fully available ${secs(r.totalMs)} (deadline noticed after ${secs(r.detectedMs)}; restarted pods' own ready time ${secs(r.podReadyMs)}) → ${secs(r.totalMs - r.podReadyMs)} (load ${r.load1.toFixed(1)})`);
        await applyAll(client, rollback('v1'));
        await untilDeployment(client, 'rollback', 'rollback on v1', (d) => rolledOut(d, image('v1')));
      }

      const n = (x: number) => x.toFixed(0);
      console.log(`\n${'figure'.padEnd(58)} measured   target   (${cpus().length} cores)`);
      console.log(`${'failed requests during a rollout (wrk + new connections)'.padEnd(58)} ${stats(loaded.map((r) => r.failedWrk + r.failedNew), n)}   target 0   ${loads(loaded.map((r) => r.load1))}`);
      console.log(`${'requests/s during ÷ before (wrk)'.padEnd(58)} ${stats(loaded.map((r) => r.during / r.before), (x) => x.toFixed(2))}   ${loads(loaded.map((r) => r.load1))}`);
      console.log(`${'rollout duration under load'.padEnd(58)} ${stats(loaded.map((r) => r.durationMs), secs)}`);
      console.log(`${`rollout duration ÷ lower bound (${secs(BOUND_MS)})`.padEnd(58)} ${stats(durations.map((d) => d / BOUND_MS), (x) => x.toFixed(2))}   target ≤ 1.5   ${loads(durationLoads)}`);
      console.log(`${'deadline → old revision available, less pod ready time'.padEnd(58)} ${stats(rollbacks.map((r) => r.totalMs - r.podReadyMs), secs)}   target < 5 s   ${loads(rollbacks.map((r) => r.load1))}`);
    } finally {
      pods.close();
      client.close();
    }
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
