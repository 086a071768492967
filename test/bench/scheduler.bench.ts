/**
 * Scheduler benchmark: raw etcd put throughput with the etcd3 client, then scheduler throughput
 * on hollow nodes, against the same fresh etcd, in one run. Prints both and their ratio.
 *
 *   node dist/test/bench/scheduler.bench.js [--nodes 1000] [--pods 10000] [--concurrency 32] [--events recorder|none]
 *
 * Hollow nodes are benchmark-only Node objects (named hollow-node-N) written Ready with a Lease;
 * no agent runs behind them. Pods (100m cpu, 128Mi, 100 per ReplicaSet) are written straight to
 * the store before the scheduler starts; the clock runs from Scheduler.start() until an etcd
 * watch has seen every pod bound. Raw puts write values of the same size as those pods, at the
 * same concurrency the store benchmark uses. `--events none` drops Scheduled events (one etcd
 * write per pod) to show what they cost.
 */
import { connectEtcd } from '../../control-plane/store/etcd-client.js';
import { parseArgs } from 'node:util';
import { Informer } from '../../control-plane/watch/informer.js';
import { EventRecorder } from '../../control-plane/events/event-recorder.js';
import type { EventSink } from '../../control-plane/events/event-recorder.js';
import { createLogger } from '../../control-plane/log.js';
import { silentLogger } from '../support/logger.js';
import { Scheduler } from '../../control-plane/scheduler/scheduler.js';
import { encodeObject } from '../../control-plane/store/codec.js';
import { ObjectStore } from '../../control-plane/store/object-store.js';
import type { Lease, Node } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import { resourceByName } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { startTestEtcd } from '../support/etcd.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    pods: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '32' },
    events: { type: 'string', default: 'recorder' },
  },
});
const NODES = Number(values.nodes);
const PODS = Number(values.pods);
const CONCURRENCY = Number(values.concurrency);
const PODS_PER_REPLICASET = 100;
const PODS_PER_NODE = 110;
if (PODS > NODES * PODS_PER_NODE) throw new Error(`--pods ${PODS} do not fit on --nodes ${NODES} (${PODS_PER_NODE} pods each): use more nodes`);

const res = (name: string) => resourceByName(name) as ResourceInfo;

function hollowNode(i: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `hollow-node-${i}`, uid: `hollow-node-uid-${i}`, labels: { 'kubernetes.io/hostname': `hollow-node-${i}`, 'berth.dev/hollow': 'true' } },
    spec: {},
    status: {
      capacity: { cpu: '16', memory: '64Gi', pods: String(PODS_PER_NODE) },
      allocatable: { cpu: '16', memory: '64Gi', pods: String(PODS_PER_NODE) },
      conditions: [{ type: 'Ready', status: 'True', reason: 'HollowNodeReady', message: 'benchmark-only hollow node', lastHeartbeatTime: new Date().toISOString() }],
    },
  };
}

function hollowLease(i: number): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: `hollow-node-${i}`, uid: `hollow-lease-uid-${i}` },
    spec: { holderIdentity: `hollow-node-${i}`, leaseDurationSeconds: 40, renewTime: new Date().toISOString() },
  };
}

function benchPod(i: number): Pod {
  const rs = Math.floor(i / PODS_PER_REPLICASET);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `bench-${rs}-${i}`,
      namespace: 'default',
      uid: `bench-pod-uid-${i}`,
      creationTimestamp: new Date().toISOString(),
      labels: { app: `bench-${rs}` },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `bench-${rs}`, uid: `bench-rs-uid-${rs}`, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      schedulerName: 'default-scheduler',
      restartPolicy: 'Always',
      containers: [{ name: 'c', image: 'busybox:1.35', command: ['sleep', '3600'], resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
    },
    status: { phase: 'Pending' },
  };
}

/** runConcurrently runs `op(i)` for i in [0, n) with `concurrency` in flight; returns ops/s. */
async function runConcurrently(n: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await op(next++);
    }),
  );
  return n / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function main(): Promise<void> {
  const etcd = await startTestEtcd();
  const client = connectEtcd([etcd.endpoint]);
  const store = new ObjectStore(client);
  const podValue = encodeObject(benchPod(0));
  const abort = new AbortController();
  try {
    await runConcurrently(500, CONCURRENCY, (i) => client.put(`/bench/warm/${i}`).value(podValue).exec());
    const rawRate = await runConcurrently(PODS, CONCURRENCY, (i) => client.put(`/bench/raw/${i}`).value(podValue).exec());
    await client.delete().prefix('/bench/').exec();

    await runConcurrently(NODES, CONCURRENCY, async (i) => {
      await store.create(res('nodes'), hollowNode(i));
      await store.create(res('leases'), hollowLease(i));
    });
    await runConcurrently(PODS, CONCURRENCY, (i) => store.create(res('pods'), benchPod(i)));

    // BERTH_BENCH_LOG=warn (or debug) shows what the scheduler logs during the run.
    const logger = process.env.BERTH_BENCH_LOG ? createLogger(process.env.BERTH_BENCH_LOG, 'scheduler') : silentLogger();
    const podInformer = new Informer(res('pods'), store, logger);
    const nodeInformer = new Informer(res('nodes'), store, logger);
    const syncStarted = process.hrtime.bigint();
    await Promise.all([podInformer.start(), nodeInformer.start()]);
    const syncSeconds = Number(process.hrtime.bigint() - syncStarted) / 1e9;

    // Count bindings from etcd itself, on a connection of its own: every put of a pod key whose value carries a nodeName.
    const bound = new Set<string>();
    let allBound: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allBound = resolve));
    const observer = connectEtcd([etcd.endpoint]);
    const watcher = await observer.watch().prefix('/berth/pods/').create();
    watcher.on('put', (kv) => {
      if (kv.value.includes('"nodeName":')) bound.add(kv.key.toString('utf8'));
      if (bound.size >= PODS) allBound();
    });

    const events: EventSink = values.events === 'none' ? { record: () => undefined } : new EventRecorder(store, 'default-scheduler', logger);
    const scheduler = new Scheduler(store, podInformer, nodeInformer, events, logger);
    const started = process.hrtime.bigint();
    const running = scheduler.start(abort.signal);
    await done;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const bindRate = PODS / seconds;
    abort.abort();
    await running;
    await watcher.cancel();
    observer.close();
    podInformer.stop();
    nodeInformer.stop();

    console.log(`scheduler benchmark: ${NODES} hollow nodes (benchmark-only Node objects + Leases, no agents), ${PODS} pods, one etcd member on loopback`);
    console.log(`  raw etcd put (etcd3 client, concurrency ${CONCURRENCY}, ${podValue.length}-byte values)  ${rawRate.toFixed(0).padStart(7)} puts/s`);
    console.log(`  informer sync (list ${PODS} pods + ${NODES} nodes)                    ${(syncSeconds * 1000).toFixed(0).padStart(7)} ms`);
    console.log(`  scheduler: start -> all ${PODS} pods bound                          ${(seconds * 1000).toFixed(0).padStart(7)} ms`);
    console.log(`  scheduler throughput (Scheduled events: ${values.events})              ${bindRate.toFixed(0).padStart(7)} bindings/s`);
    console.log(`  ratio scheduler / raw etcd                                    ${((bindRate / rawRate) * 100).toFixed(0).padStart(6)} %   (target >= 50 %)`);
  } finally {
    abort.abort();
    client.close();
    await etcd.stop();
  }
}

await main();
