import { expect } from 'chai';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { Informer } from '../../../control-plane/watch/informer.js';
import { CollectingEventSink } from '../../support/event-sink.js';
import { silentLogger } from '../../support/logger.js';
import { Scheduler } from '../../../control-plane/scheduler/scheduler.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { Affinity } from '../../../proto/objects/affinity.js';
import type { Node } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import { startTestEtcd } from '../../support/etcd.js';
import type { TestEtcd } from '../../support/etcd.js';
import { eventually } from '../../support/wait.js';

const pods = RESOURCE.pods;
const nodes = RESOURCE.nodes;

describe('Scheduler affinity on a real etcd', function () {
  this.timeout(60_000);
  let etcd: TestEtcd;
  let admin: EtcdClient;
  let store: ObjectStore;
  let stop: (() => Promise<void>) | undefined;

  before(async () => {
    etcd = await startTestEtcd();
    admin = connectEtcd([etcd.endpoint]);
    store = new ObjectStore(admin);
  });
  afterEach(async () => {
    await stop?.();
    stop = undefined;
    await admin.delete().prefix('/berth/').exec();
  });
  after(async () => {
    admin?.close();
    await etcd?.stop();
  });

  async function startScheduler(): Promise<void> {
    const client = connectEtcd([etcd.endpoint]);
    const s = new ObjectStore(client);
    const podInformer = new Informer(pods, s, silentLogger());
    const nodeInformer = new Informer(nodes, s, silentLogger());
    const scheduler = new Scheduler(s, podInformer, nodeInformer, new CollectingEventSink(), silentLogger(), { initialBackoffMs: 50, maxBackoffMs: 200 });
    await Promise.all([podInformer.start(), nodeInformer.start()]);
    const abort = new AbortController();
    const running = scheduler.start(abort.signal);
    stop = async () => {
      abort.abort();
      await running;
      podInformer.stop();
      nodeInformer.stop();
      client.close();
    };
  }

  async function createNode(name: string): Promise<void> {
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name } },
      spec: {},
      status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True', reason: 'AgentReady' }] },
    };
    await store.create(nodes, node);
  }

  async function createPod(name: string, labels: Record<string, string>, affinity: Affinity): Promise<void> {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', uid: `uid-${name}`, labels, creationTimestamp: new Date().toISOString() },
      spec: { schedulerName: 'default-scheduler', affinity, containers: [{ name: 'c', image: 'busybox:1.35', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
      status: { phase: 'Pending' },
    };
    await store.create(pods, pod);
  }

  const getPod = async (name: string) => (await store.get(pods, 'default', name)) as Pod;
  const scheduled = (pod: Pod) => pod.status?.conditions?.find((c) => c.type === 'PodScheduled');

  async function pendingWith(name: string, message: string): Promise<Pod> {
    const pod = await eventually(async () => {
      const p = await getPod(name);
      expect(scheduled(p)).to.deep.include({ status: 'False', reason: 'Unschedulable', message });
      return p;
    }, 20_000);
    expect(pod.spec.nodeName).to.equal(undefined);
    return pod;
  }

  it('keeps a pod that requires a label no node has Pending, and schedules it once a node gets the label', async () => {
    for (const n of ['node-a', 'node-b', 'node-c']) await createNode(n);
    await startScheduler();
    await createPod('fast', {}, {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } },
    });
    await pendingWith('fast', "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");

    await store.guaranteedUpdate(nodes, undefined, 'node-b', (n) => ({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, disk: 'ssd' } } }));
    const bound = await eventually(async () => {
      const p = await getPod('fast');
      expect(p.spec.nodeName).to.be.a('string');
      return p;
    }, 20_000);
    expect(bound.spec.nodeName).to.equal('node-b');
  });

  it('spreads 3 replicas with anti-affinity over 3 nodes, leaves a 4th Pending, and places it when one goes', async () => {
    for (const n of ['node-a', 'node-b', 'node-c']) await createNode(n);
    await startScheduler();
    const avoid: Affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    const names = ['web-0', 'web-1', 'web-2', 'web-3'];
    for (const n of names) await createPod(n, { app: 'web' }, avoid);

    const { bound, pending } = await eventually(async () => {
      const all = await Promise.all(names.map(getPod));
      const b = all.filter((p) => p.spec.nodeName);
      const rest = all.filter((p) => !p.spec.nodeName);
      expect(b).to.have.length(3);
      expect(rest).to.have.length(1);
      expect(scheduled(rest[0] as Pod)).to.deep.include({ reason: 'Unschedulable', message: "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules." });
      return { bound: b, pending: rest[0] as Pod };
    }, 20_000);
    expect(new Set(bound.map((p) => p.spec.nodeName))).to.deep.equal(new Set(['node-a', 'node-b', 'node-c']));

    const gone = bound[0] as Pod;
    await store.delete(pods, 'default', gone.metadata.name);
    const placed = await eventually(async () => {
      const p = await getPod(pending.metadata.name);
      expect(p.spec.nodeName).to.be.a('string');
      return p;
    }, 20_000);
    expect(placed.spec.nodeName).to.equal(gone.spec.nodeName);
  });
});
