import { expect } from 'chai';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { Informer } from '../../../control-plane/watch/informer.js';
import { CollectingEventSink } from '../../support/event-sink.js';
import { createLogger } from '../../../control-plane/log.js';
import { silentLogger } from '../../support/logger.js';
import { Scheduler } from '../../../control-plane/scheduler/scheduler.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { Node } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import { startTestEtcd } from '../../support/etcd.js';
import type { TestEtcd } from '../../support/etcd.js';
import { eventually } from '../../support/wait.js';

const pods = RESOURCE.pods;
const nodes = RESOURCE.nodes;
const logger = () => (process.env.DEBUG_SCHEDULER ? createLogger('debug', 'scheduler') : silentLogger());

/** A scheduler with its own etcd client and informers, as one control-plane replica has. */
interface Replica {
  client: EtcdClient;
  store: ObjectStore;
  podInformer: Informer;
  nodeInformer: Informer;
  events: CollectingEventSink;
  scheduler: Scheduler;
  abort: AbortController;
  running: Promise<void>;
}

describe('Scheduler on a real etcd', function () {
  this.timeout(60_000);
  let etcd: TestEtcd;
  let admin: EtcdClient;
  let store: ObjectStore;
  const replicas: Replica[] = [];

  before(async () => {
    etcd = await startTestEtcd();
    admin = connectEtcd([etcd.endpoint]);
    store = new ObjectStore(admin);
  });
  afterEach(async () => {
    for (const r of replicas.splice(0)) {
      r.abort.abort();
      await r.running;
      r.podInformer.stop();
      r.nodeInformer.stop();
      r.client.close();
    }
    await admin.delete().prefix('/berth/').exec();
  });
  after(async () => {
    admin?.close();
    await etcd?.stop();
  });

  async function startScheduler(): Promise<Replica> {
    const client = connectEtcd([etcd.endpoint]);
    const s = new ObjectStore(client);
    const podInformer = new Informer(pods, s, silentLogger());
    const nodeInformer = new Informer(nodes, s, silentLogger());
    const events = new CollectingEventSink();
    const scheduler = new Scheduler(s, podInformer, nodeInformer, events, logger(), { initialBackoffMs: 50, maxBackoffMs: 200 });
    await Promise.all([podInformer.start(), nodeInformer.start()]);
    const abort = new AbortController();
    const replica: Replica = { client, store: s, podInformer, nodeInformer, events, scheduler, abort, running: scheduler.start(abort.signal) };
    replicas.push(replica);
    return replica;
  }

  async function createNode(name: string, options: { cpu?: string; memory?: string; pods?: string; cordoned?: boolean } = {}): Promise<void> {
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name } },
      spec: options.cordoned ? { unschedulable: true } : {},
      status: {
        allocatable: { cpu: options.cpu ?? '4', memory: options.memory ?? '8Gi', pods: options.pods ?? '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'AgentReady' }],
      },
    };
    await store.create(nodes, node);
  }

  async function createPod(name: string, options: { memory?: string; owner?: string } = {}): Promise<void> {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'default',
        uid: `uid-${name}`,
        creationTimestamp: new Date().toISOString(),
        ...(options.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: options.owner, uid: `uid-${options.owner}`, controller: true }] } : {}),
      },
      spec: {
        schedulerName: 'default-scheduler',
        containers: [{ name: 'c', image: 'busybox:1.35', resources: { requests: { cpu: '100m', memory: options.memory ?? '64Mi' } } }],
      },
      status: { phase: 'Pending' },
    };
    await store.create(pods, pod);
  }

  const getPod = async (name: string) => (await store.get(pods, 'default', name)) as Pod;
  const scheduledCondition = (pod: Pod) => pod.status?.conditions?.find((c) => c.type === 'PodScheduled');

  async function allBound(names: string[]): Promise<Pod[]> {
    return eventually(async () => {
      const found = await Promise.all(names.map(getPod));
      for (const p of found) expect(p.spec.nodeName, `pod ${p.metadata.name}: ${JSON.stringify(scheduledCondition(p))}`).to.be.a('string');
      return found;
    }, 20_000);
  }

  it('binds the replicas of a ReplicaSet spread across three Ready nodes, with PodScheduled and a Scheduled event', async () => {
    for (const n of ['node-a', 'node-b', 'node-c']) await createNode(n);
    const { events } = await startScheduler();
    const names = Array.from({ length: 6 }, (_, i) => `web-${i}`);
    for (const n of names) await createPod(n, { owner: 'web-rs' });
    const bound = await allBound(names);
    const perNode = new Map<string, number>();
    for (const p of bound) perNode.set(p.spec.nodeName as string, (perNode.get(p.spec.nodeName as string) ?? 0) + 1);
    expect(Object.fromEntries(perNode)).to.deep.equal({ 'node-a': 2, 'node-b': 2, 'node-c': 2 });
    for (const p of bound) expect(scheduledCondition(p)?.status).to.equal('True');
    await eventually(() => expect(events.events.filter((e) => e.reason === 'Scheduled')).to.have.length(6));
    const web0 = bound.find((p) => p.metadata.name === 'web-0') as Pod;
    expect(events.events).to.deep.include({ object: 'Pod/default/web-0', type: 'Normal', reason: 'Scheduled', message: `Successfully assigned default/web-0 to ${web0.spec.nodeName}` });
  });

  it('leaves an oversized pod Pending with the reasons in Kubernetes words, written once', async () => {
    await createNode('node-a', { memory: '1Gi' });
    await createNode('node-b', { memory: '1Gi' });
    await createNode('node-c', { cordoned: true });
    const { events } = await startScheduler();
    await createPod('huge', { memory: '2Gi' });
    const message = '0/3 nodes are available: 2 Insufficient memory, 1 node(s) were unschedulable.';
    const pending = await eventually(async () => {
      const p = await getPod('huge');
      expect(scheduledCondition(p)).to.deep.include({ status: 'False', reason: 'Unschedulable', message });
      return p;
    });
    expect(pending.spec.nodeName).to.equal(undefined);
    expect(pending.status?.phase).to.equal('Pending');
    expect(events.events).to.deep.equal([{ object: 'Pod/default/huge', type: 'Warning', reason: 'FailedScheduling', message }]);

    // A node change that does not help: the pod is retried, and nothing is written again.
    await store.guaranteedUpdate(nodes, undefined, 'node-a', (n) => ({ ...n, metadata: { ...n.metadata, labels: { disk: 'ssd' } } }));
    await new Promise((r) => setTimeout(r, 500));
    expect((await getPod('huge')).metadata.resourceVersion).to.equal(pending.metadata.resourceVersion);
    expect(events.events).to.have.length(1);
  });

  it('gives a cordoned node nothing', async () => {
    await createNode('node-a');
    await createNode('node-b', { cordoned: true });
    await createNode('node-c');
    await startScheduler();
    const names = Array.from({ length: 9 }, (_, i) => `app-${i}`);
    for (const n of names) await createPod(n, { owner: 'app-rs' });
    const bound = await allBound(names);
    expect(bound.filter((p) => p.spec.nodeName === 'node-b')).to.deep.equal([]);
  });

  it('schedules a pending pod once a node that fits is added', async () => {
    await createNode('small', { memory: '1Gi' });
    await startScheduler();
    await createPod('waiting', { memory: '4Gi' });
    await eventually(async () => expect(scheduledCondition(await getPod('waiting'))?.message).to.equal('0/1 nodes are available: 1 Insufficient memory.'));
    await createNode('large', { memory: '16Gi' });
    const [p] = await allBound(['waiting']);
    expect(p?.spec.nodeName).to.equal('large');
    expect(scheduledCondition(p as Pod)?.status).to.equal('True');
  });

  it('schedules a pending pod once a bound pod that held the room is deleted', async () => {
    await createNode('only', { pods: '1' });
    await startScheduler();
    await createPod('first');
    await allBound(['first']);
    await createPod('second');
    await eventually(async () => expect(scheduledCondition(await getPod('second'))?.message).to.equal('0/1 nodes are available: 1 Too many pods.'));
    await store.delete(pods, 'default', 'first');
    const [p] = await allBound(['second']);
    expect(p?.spec.nodeName).to.equal('only');
  });

  it('stops when its signal aborts and schedules again when started anew (leadership regained)', async () => {
    await createNode('node-a');
    const replica = await startScheduler();
    await createPod('before');
    await allBound(['before']);
    replica.abort.abort();
    await replica.running;
    await createPod('between');
    replica.abort = new AbortController();
    replica.running = replica.scheduler.start(replica.abort.signal);
    await allBound(['between']);
    await createPod('after');
    await allBound(['after']);
  });

  it('two schedulers racing bind every pod exactly once', async () => {
    for (const n of ['node-a', 'node-b', 'node-c']) await createNode(n, { cpu: '64', memory: '64Gi', pods: '1000' });
    // Every write to a pod key, straight from etcd (a binding transaction writes many keys at one revision).
    const history: Pod[] = [];
    const watcher = await admin.watch().prefix('/berth/pods/').create();
    watcher.on('put', (kv) => history.push(JSON.parse(kv.value.toString('utf8')) as Pod));
    try {
      const names = Array.from({ length: 300 }, (_, i) => `race-${i}`);
      await Promise.all(names.map((n, i) => createPod(n, { owner: `rs-${i % 3}` })));
      const [a, b] = await Promise.all([startScheduler(), startScheduler()]);
      await allBound(names);
      await eventually(() => expect(history.filter((p) => p.spec.nodeName).length).to.be.at.least(300));
      const scheduledEvents = () => [...(a as Replica).events.events, ...(b as Replica).events.events].filter((e) => e.reason === 'Scheduled');
      // Events trail bindings (EventPacer); every pod gets exactly one Scheduled event, from whichever scheduler bound it.
      const scheduled = await eventually(() => {
        const all = scheduledEvents();
        expect(all).to.have.length.at.least(300);
        return all;
      });
      // Each pod got a node once, and kept it.
      const nodeOf = new Map<string, string>();
      let bindings = 0;
      for (const p of history) {
        if (!p.spec.nodeName) continue;
        const before = nodeOf.get(p.metadata.name);
        if (before === undefined) bindings++;
        else expect(p.spec.nodeName, `pod ${p.metadata.name} moved`).to.equal(before);
        nodeOf.set(p.metadata.name, p.spec.nodeName);
      }
      expect(bindings).to.equal(300);
      expect(history.filter((p) => p.spec.nodeName).length).to.equal(300);
      expect(scheduled).to.have.length(300);
      expect(new Set(scheduled.map((e) => e.object)).size).to.equal(300);
    } finally {
      await watcher.cancel();
    }
  });
});
