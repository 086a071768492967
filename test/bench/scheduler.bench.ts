/**
 * Scheduler benchmark: scheduler throughput on hollow nodes against raw etcd doing the same
 * writes the same way, on one fresh etcd, first with the cluster quiet, then with every hollow
 * node renewing its lease every second. Prints both side by side, with their ratios.
 *
 *   node dist/test/bench/scheduler.bench.js [--nodes 1000] [--pods 10000] [--runs 3] [--events recorder|none] [--leases both|quiet|renewing]
 *
 * Hollow nodes (test/support/bench-hollow-nodes.ts) are benchmark-only Node objects named
 * hollow-node-N, written Ready with a Lease; no agent runs behind them. Pods (100m CPU, 128 MiB,
 * 100 per ReplicaSet) are written to the store before the scheduler starts; the clock runs from
 * Scheduler.start() until an etcd watch has seen every pod bound.
 *
 * The baseline ("raw etcd, the scheduler's transactions") writes, for every pod, the value the
 * scheduler writes (the encoded bound pod) over a pending pod of the same value, in
 * transactions guarded on each key's mod_revision exactly like the binder's: rounds of the
 * scheduler's batch size (1,024), each split into transactions of 128 committed together, at
 * most the scheduler's number of committing rounds (4) in flight — so at most 32 transactions
 * of 128. The scheduler gets those same settings explicitly, so both sides match by construction.
 *
 * "Leases renewing": a fleet process (hollow-node-heartbeats.ts) of one NodeClient per hollow
 * node calls NodeAPI.Heartbeat every second after its previous beat, as agents do; this process
 * serves NodeAPI with the control plane's own server and NodeService, so, as in the control
 * plane leader, the renewals (a guarded Lease update each) share the process and etcd with the
 * scheduler. Both the baseline and the scheduler are measured under that load. `--events none`
 * drops Scheduled events (one etcd write per pod, paced) to show what they cost.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Informer } from '../../control-plane/watch/informer.js';
import { EventRecorder, type EventSink } from '../../control-plane/events/event-recorder.js';
import { EventWriter } from '../../control-plane/events/event-writer.js';
import { createLogger } from '../../control-plane/log.js';
import { boundPod } from '../../control-plane/scheduler/pod-conditions.js';
import { Scheduler } from '../../control-plane/scheduler/scheduler.js';
import { encodeObject } from '../../control-plane/store/codec.js';
import { MAX_TXN_OPS } from '../../control-plane/store/guarded-change.js';
import { ObjectStore } from '../../control-plane/store/object-store.js';
import { RESOURCE } from '../../proto/resources.js';
import { runConcurrently } from '../support/bench-concurrency.js';
import { benchPod, hollowLease, hollowNode, hollowNodeName, PODS_PER_HOLLOW_NODE, serveNodeApi, startHeartbeatFleet, type HeartbeatStats } from '../support/bench-hollow-nodes.js';
import { quantile } from '../support/bench-pods.js';
import { connectRawEtcd, deletePrefix, guardedPutTxn, putAndRevision, type GuardedWrite, type RawEtcd } from '../support/bench-raw-etcd.js';
import { startTestEtcd } from '../support/etcd.js';
import { silentLogger } from '../support/logger.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    pods: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    events: { type: 'string', default: 'recorder' },
    leases: { type: 'string', default: 'both' },
  },
});
const NODES = Number(values.nodes);
const PODS = Number(values.pods);
const RUNS = Number(values.runs);
if (PODS > NODES * PODS_PER_HOLLOW_NODE) throw new Error(`--pods ${PODS} do not fit on --nodes ${NODES} (${PODS_PER_HOLLOW_NODE} pods each): use more nodes`);
if (!['both', 'quiet', 'renewing'].includes(values.leases)) throw new Error(`--leases must be both, quiet or renewing (got "${values.leases}")`);
if (!['recorder', 'none'].includes(values.events)) throw new Error(`--events must be recorder or none (got "${values.events}")`);
/** The scheduler's defaults, given explicitly so the baseline commits the same way. */
const BATCH_SIZE = 1024;
const MAX_COMMITTING_ROUNDS = 4;
const SEED_CONCURRENCY = 32;
/** A run (baseline and scheduler) not done by then fails (the bench stays bounded in time). */
const RUN_TIMEOUT_MS = 300_000;
const logger = process.env.BERTH_BENCH_LOG ? createLogger(process.env.BERTH_BENCH_LOG, 'scheduler') : silentLogger();

/**
 * watchBound resolves once a watch on its own connection has seen `n` distinct keys under
 * `prefix` written with a nodeName: both sides stop their clock the same way.
 */
async function watchBound(endpoint: string, prefix: string, n: number): Promise<{ done: Promise<void>; close(): Promise<void> }> {
  const observer = connectRawEtcd(endpoint);
  const bound = new Set<string>();
  let allBound: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allBound = resolve));
  const watcher = await observer.watch().prefix(prefix).create();
  watcher.on('put', (kv) => {
    if (kv.value.includes('"nodeName":')) bound.add(kv.key.toString('utf8'));
    if (bound.size >= n) allBound();
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`only ${bound.size} of ${n} pods under ${prefix} were seen bound within ${RUN_TIMEOUT_MS / 1000} s`)), RUN_TIMEOUT_MS);
  });
  return {
    done: Promise.race([done, timedOut]).finally(() => clearTimeout(timer)),
    async close() {
      await watcher.cancel();
      observer.close();
    },
  };
}

/** commitLikeScheduler commits the writes as the scheduler's binder does: rounds of BATCH_SIZE, each as concurrent transactions of MAX_TXN_OPS, at most MAX_COMMITTING_ROUNDS rounds in flight. */
async function commitLikeScheduler(raw: RawEtcd, writes: GuardedWrite[]): Promise<void> {
  const committing = new Set<Promise<void>>();
  for (let start = 0; start < writes.length; start += BATCH_SIZE) {
    const round = writes.slice(start, start + BATCH_SIZE);
    while (committing.size >= MAX_COMMITTING_ROUNDS) await Promise.race(committing);
    const chunks: Promise<void>[] = [];
    for (let c = 0; c < round.length; c += MAX_TXN_OPS) chunks.push(guardedPutTxn(raw, round.slice(c, c + MAX_TXN_OPS)).then(() => undefined));
    const commit: Promise<void> = Promise.all(chunks).then(() => void committing.delete(commit));
    committing.add(commit);
  }
  await Promise.all(committing);
}

/** The baseline: PODS pending pods written plainly, then bound like the scheduler binds them; returns puts/s and the bytes of a bound value. */
async function baseline(raw: RawEtcd, endpoint: string): Promise<{ rate: number; valueBytes: number }> {
  const now = new Date().toISOString();
  const keys = Array.from({ length: PODS }, (_, i) => `/bench/raw/pods/${benchPod(i).metadata.name}`);
  const revisions: string[] = new Array<string>(PODS);
  await runConcurrently(PODS, SEED_CONCURRENCY, async (i) => (revisions[i] = await putAndRevision(raw, keys[i] as string, encodeObject(benchPod(i)))));
  const writes = keys.map((key, i) => ({ key, expectedRevision: revisions[i] as string, value: encodeObject(boundPod(benchPod(i), hollowNodeName(i % NODES), now)) }));
  const seen = await watchBound(endpoint, '/bench/raw/pods/', PODS);
  const started = process.hrtime.bigint();
  let rate = NaN;
  try {
    await Promise.all([commitLikeScheduler(raw, writes), seen.done]);
    rate = PODS / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    await seen.close();
  }
  await deletePrefix(raw, '/bench/raw/');
  return { rate, valueBytes: writes.reduce((sum, w) => sum + Buffer.byteLength(w.value), 0) / PODS };
}

/** eventsSettled waits until the number of Events in etcd stopped growing (checked every 500 ms, for at most 60 s). */
async function eventsSettled(raw: RawEtcd): Promise<void> {
  const deadline = Date.now() + 60_000;
  let before = -1;
  for (;;) {
    const count = await raw.getAll().prefix('/berth/events/').count();
    if (count === before || Date.now() > deadline) return;
    before = count;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * leaseWriteCapacity: how many single revision-guarded writes of a Lease per second raw etcd
 * takes here (each hollow node's renewal is one), with as many in flight as there are nodes.
 */
async function leaseWriteCapacity(raw: RawEtcd): Promise<number> {
  const keys = Array.from({ length: NODES }, (_, i) => `/bench/raw/leases/${hollowNodeName(i)}`);
  const value = encodeObject(hollowLease(0));
  const revisions = await Promise.all(keys.map((key) => putAndRevision(raw, key, value)));
  const rounds = 3;
  const started = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    const next = await Promise.all(keys.map((key, i) => guardedPutTxn(raw, [{ key, expectedRevision: revisions[i] as string, value }])));
    next.forEach((rev, i) => (revisions[i] = rev));
  }
  const rate = (rounds * NODES) / (Number(process.hrtime.bigint() - started) / 1e9);
  await deletePrefix(raw, '/bench/raw/');
  return rate;
}

/** One scheduler run: PODS pending pods, fresh informers and scheduler; returns bindings/s and the informer sync time. */
async function schedulerRun(raw: RawEtcd, endpoint: string, store: ObjectStore, events: EventWriter): Promise<{ rate: number; syncMs: number }> {
  await runConcurrently(PODS, SEED_CONCURRENCY, (i) => store.create(RESOURCE.pods, benchPod(i)));
  const podInformer = new Informer(RESOURCE.pods, store, logger);
  const nodeInformer = new Informer(RESOURCE.nodes, store, logger);
  const syncStarted = performance.now();
  await Promise.all([podInformer.start(), nodeInformer.start()]);
  const syncMs = performance.now() - syncStarted;
  // Bindings are counted from etcd itself, as the baseline's puts are.
  const seen = await watchBound(endpoint, '/berth/pods/', PODS);
  const sink: EventSink = values.events === 'none' ? { record: () => undefined } : new EventRecorder(events, 'default-scheduler', logger);
  const scheduler = new Scheduler(store, podInformer, nodeInformer, sink, logger, { batchSize: BATCH_SIZE, maxCommittingRounds: MAX_COMMITTING_ROUNDS });
  const abort = new AbortController();
  const started = process.hrtime.bigint();
  const running = scheduler.start(abort.signal);
  let rate = NaN;
  try {
    await seen.done;
    rate = PODS / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    abort.abort();
    await running;
    await seen.close();
    podInformer.stop();
    nodeInformer.stop();
  }
  // Scheduled events keep draining after the run (EventPacer): let them finish before the next measurement.
  await eventsSettled(raw);
  await deletePrefix(raw, '/berth/pods/');
  await deletePrefix(raw, '/berth/events/');
  return { rate, syncMs };
}

interface PhaseResult {
  label: string;
  /** Why the phase stopped before its runs were done (etcd or the process could not keep up). */
  error?: string;
  runs: Array<{ baseline: number; scheduler: number; syncMs: number; valueBytes: number }>;
  heartbeats?: HeartbeatStats;
}

/** withinRunTimeout fails a run that takes longer than RUN_TIMEOUT_MS (its work is abandoned; the bench reports and moves on). */
async function withinRunTimeout<T>(run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the run took longer than ${RUN_TIMEOUT_MS / 1000} s`)), RUN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([run(), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

async function phase(label: string, raw: RawEtcd, endpoint: string, store: ObjectStore, events: EventWriter): Promise<PhaseResult> {
  const runs: PhaseResult['runs'] = [];
  try {
    for (let r = 0; r < RUNS; r++) {
      const { base, rate, syncMs } = await withinRunTimeout(async () => {
        const base = await baseline(raw, endpoint);
        return { base, ...(await schedulerRun(raw, endpoint, store, events)) };
      });
      runs.push({ baseline: base.rate, scheduler: rate, syncMs, valueBytes: base.valueBytes });
      console.error(`  [${label} run ${r + 1}/${RUNS}: baseline ${base.rate.toFixed(0)} puts/s, scheduler ${rate.toFixed(0)} bindings/s]`);
    }
  } catch (err) {
    // Under load etcd may refuse work (the client's circuit breaker opens): report it with what was measured.
    console.error(`  [${label} stopped: ${String(err)}]`);
    // Best-effort clean-up for a following phase, given at most 10 s: etcd may still be swamped.
    const cleanup = Promise.all([deletePrefix(raw, '/bench/raw/'), deletePrefix(raw, '/berth/pods/')]).catch(() => undefined);
    await Promise.race([cleanup, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    return { label, runs, error: String(err) };
  }
  return { label, runs };
}

function report(results: PhaseResult[], load: number[], leaseCapacity: number | undefined): void {
  const n = (x: number) => (Number.isNaN(x) ? 'n/a' : x.toFixed(0)).padStart(7);
  console.log(`scheduler benchmark: ${NODES} hollow nodes (benchmark-only Node objects + Leases, no agents), ${PODS} pods, ${RUNS} run(s) per column, one etcd member on loopback`);
  console.log(`  load average at start: ${load.map((x) => x.toFixed(2)).join(' ')}; Scheduled events: ${values.events}`);
  const bytes = results[0]?.runs[0]?.valueBytes ?? 0;
  console.log(`  baseline: raw etcd, the scheduler's transactions (${MAX_TXN_OPS} revision-guarded puts of the encoded bound pod, ${bytes.toFixed(0)} bytes, each;`);
  console.log(`  rounds of ${BATCH_SIZE}, ${MAX_COMMITTING_ROUNDS} rounds in flight); both clocks stop when a watch of their own has seen every pod bound\n`);
  const median = (xs: number[]) => (xs.length ? quantile(xs, 0.5) : NaN);
  const cols = results.map((r) => r.label.padStart(22)).join('');
  console.log(`  ${''.padEnd(44)}${cols}`);
  const line = (label: string, f: (r: PhaseResult) => string) => console.log(`  ${label.padEnd(44)}${results.map((r) => f(r).padStart(22)).join('')}`);
  line('informer sync (list pods + nodes), ms', (r) => n(median(r.runs.map((x) => x.syncMs))));
  line('raw etcd baseline, puts/s', (r) => n(median(r.runs.map((x) => x.baseline))));
  line('scheduler, bindings/s', (r) => n(median(r.runs.map((x) => x.scheduler))));
  line('ratio scheduler / baseline (target >= 50 %)', (r) => (r.runs.length ? `${(median(r.runs.map((x) => x.scheduler / x.baseline)) * 100).toFixed(0)} %` : 'n/a'));
  if (RUNS > 1) {
    line('  ratio over the runs, min–max', (r) => {
      const xs = r.runs.map((x) => (x.scheduler / x.baseline) * 100);
      return xs.length ? `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} %` : 'n/a';
    });
  }
  if (leaseCapacity !== undefined) {
    const took = Number.isNaN(leaseCapacity) ? 'could not take (etcd timed out)' : `takes ${leaseCapacity.toFixed(0)}`;
    console.log(`\n  raw etcd here ${took} single guarded Lease writes/s with ${NODES} in flight; ${NODES} nodes renewing every second need ${NODES}/s`);
  }
  for (const r of results) if (r.error) console.log(`\n  "${r.label}" stopped after ${r.runs.length} of ${RUNS} runs: ${r.error}`);
  for (const r of results) {
    const h = r.heartbeats;
    if (!h) continue;
    console.log(`\n  lease renewals during "${r.label}": ${h.beats} heartbeats in ${h.seconds.toFixed(1)} s (${(h.beats / h.seconds).toFixed(0)}/s from ${h.nodes} nodes), ${h.failures} failed${h.firstError ? ` (first: ${h.firstError})` : ''}`);
    const gap = h.beats > h.nodes ? `${(h.maxGapMs / 1000).toFixed(2)} s` : 'n/a (most nodes never renewed twice)';
    console.log(`    successful Heartbeat call latency p50 ${quantile(h.latencies, 0.5).toFixed(1)} ms, p99 ${quantile(h.latencies, 0.99).toFixed(1)} ms, max ${Math.max(...h.latencies).toFixed(0)} ms; longest a node went without a renewal: ${gap} (node grace period 5 s)`);
  }
}

async function main(): Promise<void> {
  const load = loadavg();
  const etcd = await startTestEtcd();
  const raw = connectRawEtcd(etcd.endpoint);
  const store = new ObjectStore(raw);
  const events = new EventWriter(store);
  let api: { address: string; stop(): void } | undefined;
  let fleet: Awaited<ReturnType<typeof startHeartbeatFleet>> | undefined;
  // Exiting kills the heartbeat fleet too (startHeartbeatFleet).
  const onSignal = (): void => void etcd.stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await runConcurrently(NODES, SEED_CONCURRENCY, async (i) => {
      await store.create(RESOURCE.nodes, hollowNode(i));
      await store.create(RESOURCE.leases, hollowLease(i));
    });
    // Warm the client and etcd so that the first column does not pay for connection set-up.
    await runConcurrently(500, SEED_CONCURRENCY, (i) => putAndRevision(raw, `/bench/warm/${i}`, encodeObject(benchPod(i))));
    await deletePrefix(raw, '/bench/warm/');
    const results: PhaseResult[] = [];
    let leaseCapacity: number | undefined;
    if (values.leases !== 'renewing') results.push(await phase('quiet', raw, etcd.endpoint, store, events));
    if (values.leases !== 'quiet') {
      const label = 'leases renewing 1/s';
      leaseCapacity = await leaseWriteCapacity(raw).catch((err: unknown) => {
        console.error(`  [raw etcd could not take ${NODES} single Lease writes in flight: ${String(err)}]`);
        return NaN;
      });
      await deletePrefix(raw, '/bench/raw/');
      api = await serveNodeApi(store, events, logger);
      let renewing: PhaseResult;
      try {
        fleet = await startHeartbeatFleet(api.address, NODES);
        // Measure in the steady state: every node beating once a second.
        await new Promise((resolve) => setTimeout(resolve, 2000));
        renewing = await phase(label, raw, etcd.endpoint, store, events);
        renewing.heartbeats = await fleet.stop();
        fleet = undefined;
      } catch (err) {
        renewing = { label, runs: [], error: `the hollow nodes' heartbeats did not get going: ${String(err)}` };
      }
      results.push(renewing);
    }
    report(results, load, leaseCapacity);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (fleet) process.kill(fleet.pid, 'SIGKILL');
    api?.stop();
    raw.close();
    await etcd.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
