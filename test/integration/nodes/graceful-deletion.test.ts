import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { ClusterClient } from '../../../cli/client.js';
import type { NodeAPIClient } from '../../../proto/generated/berth/v1/NodeAPI.js';
import type { WatchEvent__Output } from '../../../proto/generated/berth/v1/WatchEvent.js';
import { INITIAL_EVENTS_END, loadBerthProto } from '../../../proto/grpc.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { eventually } from '../../support/wait.js';
import { rawNodeApiAs } from '../../support/test-clients.js';
import { TEST_ADMIN, testClusterClient } from '../../support/test-pki.js';

function call<T>(fn: (cb: (err: grpc.ServiceError | null, res?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res as T))));
}

const nodeJson = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {}, status: { capacity: { cpu: '8', memory: '8Gi', pods: '110' }, allocatable: { cpu: '8', memory: '8Gi', pods: '110' } } });
const podJson = (name: string, namespace: string, nodeName?: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: { app: name } }, spec: { terminationGracePeriodSeconds: 20, ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox:1.35' }] } });
const replicaSetJson = (name: string, replicas: number) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { rs: name } }, template: { metadata: { labels: { rs: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } } },
  });

describe('graceful pod deletion on a real control plane and etcd', function () {
  this.timeout(60_000);
  let cp: TestControlPlane;
  let api: ClusterClient;
  let nodeApi: NodeAPIClient;
  let beats: NodeJS.Timeout | undefined;
  const NODE = 'grace-node';

  before(async () => {
    cp = await startTestControlPlane();
    api = await testClusterClient(cp.server);
    // The test stands in for the agents of several nodes: as an admin, who may speak for any node.
    nodeApi = await rawNodeApiAs(cp.server, TEST_ADMIN);
    await call((cb) => nodeApi.Register({ node_json: nodeJson(NODE) }, cb));
    // The node's agent is "alive" for the whole suite, so its pods are never judged lost.
    beats = setInterval(() => nodeApi.Heartbeat({ node_name: NODE }, () => undefined), 500);
  });

  after(async () => {
    if (beats) clearInterval(beats);
    api?.close();
    nodeApi?.close();
    await cp?.stop();
  });

  const apply = async (json: string) => {
    const outcome = await api.apply({ documents: [{ source: 'test.yaml', index: 1, json }] });
    expect(outcome.errors).to.deep.equal([]);
  };
  const getPod = (name: string, namespace = 'default') => api.get('pods', namespace, name) as Promise<Pod>;
  const gone = async (name: string, namespace = 'default') => (await getPod(name, namespace).catch((err: Error) => (err.message.includes('(NotFound)') ? undefined : Promise.reject(err)))) === undefined;
  const finish = (pod: Pod, nodeName = NODE, uid = pod.metadata.uid ?? '') =>
    call((cb) => nodeApi.FinishPodTermination({ node_name: nodeName, namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name, uid }, cb));
  const codeOf = (p: Promise<unknown>) => p.then(() => grpc.status.OK, (err: grpc.ServiceError) => err.code);

  it('keeps a deleted pod on a node Terminating until its node finishes it; WatchPods sends it MODIFIED, then DELETED', async () => {
    await apply(podJson('graceful', 'default', NODE));
    const events: { type: string; pod: Pod }[] = [];
    const watch = nodeApi.WatchPods({ node_name: NODE });
    watch.on('data', (e: WatchEvent__Output) => {
      if (e.type !== INITIAL_EVENTS_END) events.push({ type: e.type, pod: JSON.parse(e.object_json) as Pod });
    });
    watch.on('error', () => undefined);
    try {
      await eventually(() => expect(events.some((e) => e.pod.metadata.name === 'graceful')).to.equal(true));
      const before = Date.now();
      const deleted = (await api.delete('pods', 'default', 'graceful')) as Pod;
      expect(deleted.metadata.deletionGracePeriodSeconds).to.equal(20);
      const due = Date.parse(deleted.metadata.deletionTimestamp ?? '');
      expect(due).to.be.within(before + 19_000, Date.now() + 20_000);
      const live = await getPod('graceful');
      expect(live.metadata.deletionTimestamp).to.equal(deleted.metadata.deletionTimestamp);
      await eventually(() => expect(events.some((e) => e.type === 'MODIFIED' && e.pod.metadata.name === 'graceful' && e.pod.metadata.deletionTimestamp)).to.equal(true));

      await finish(live);
      expect(await gone('graceful')).to.equal(true);
      await eventually(() => expect(events.some((e) => e.type === 'DELETED' && e.pod.metadata.name === 'graceful')).to.equal(true));
    } finally {
      watch.cancel();
    }
  });

  it('lets a second delete shorten the grace period but never lengthen it', async () => {
    await apply(podJson('shorten', 'default', NODE));
    const first = (await api.delete('pods', 'default', 'shorten')) as Pod;
    const longer = (await api.delete('pods', 'default', 'shorten', { gracePeriodSeconds: 60 })) as Pod;
    expect(longer.metadata.deletionGracePeriodSeconds).to.equal(20);
    expect(longer.metadata.deletionTimestamp).to.equal(first.metadata.deletionTimestamp);
    const shorter = (await api.delete('pods', 'default', 'shorten', { gracePeriodSeconds: 5 })) as Pod;
    expect(shorter.metadata.deletionGracePeriodSeconds).to.equal(5);
    expect(Date.parse(first.metadata.deletionTimestamp ?? '') - Date.parse(shorter.metadata.deletionTimestamp ?? '')).to.equal(15_000);
    await finish(shorter);
  });

  it('removes at once a forced delete, an unbound pod, and a pod whose node does not exist', async () => {
    await apply(podJson('forced', 'default', NODE));
    await api.delete('pods', 'default', 'forced', { force: true });
    expect(await gone('forced')).to.equal(true);
    // A node selector no node matches keeps it unbound.
    const unbound = JSON.parse(podJson('unbound', 'default')) as Pod;
    unbound.spec.nodeSelector = { 'berth.test/none': 'none' };
    await apply(JSON.stringify(unbound));
    await api.delete('pods', 'default', 'unbound');
    expect(await gone('unbound')).to.equal(true);
    await apply(podJson('orphan', 'default', 'no-such-node'));
    await api.delete('pods', 'default', 'orphan');
    expect(await gone('orphan')).to.equal(true);
  });

  it('FinishPodTermination refuses another node, another uid and a pod not being deleted; NOT_FOUND once gone', async () => {
    await apply(podJson('finishing', 'default', NODE));
    const running = await getPod('finishing');
    expect(await codeOf(finish(running))).to.equal(grpc.status.FAILED_PRECONDITION);
    const terminating = (await api.delete('pods', 'default', 'finishing')) as Pod;
    await call((cb) => nodeApi.Register({ node_json: nodeJson('other-node') }, cb));
    // Nothing is to be scheduled there (the ReplicaSet test counts on NODE alone).
    await api.cordon('other-node', true);
    expect(await codeOf(finish(terminating, 'other-node'))).to.equal(grpc.status.FAILED_PRECONDITION);
    expect(await codeOf(finish(terminating, NODE, 'not-its-uid'))).to.equal(grpc.status.FAILED_PRECONDITION);
    expect((await getPod('finishing')).metadata.uid).to.equal(terminating.metadata.uid);
    await finish(terminating);
    expect(await codeOf(finish(terminating))).to.equal(grpc.status.NOT_FOUND);
  });

  it('leaves the pods of a ReplicaSet scale-down, and of its deletion (garbage collector), Terminating until finished', async () => {
    await apply(replicaSetJson('shrink', 3));
    const owned = async () => (await api.list({ resource: 'pods', namespace: 'default', label_selector: 'rs=shrink' })).items as Pod[];
    await eventually(async () => {
      const pods = await owned();
      expect(pods.filter((p) => p.spec.nodeName === NODE)).to.have.length(3);
    });
    await api.scale('replicasets', 'default', 'shrink', 1);
    await eventually(async () => expect((await owned()).filter((p) => p.metadata.deletionTimestamp)).to.have.length(2));
    // Terminating pods are not counted: no replacement is made for them, and they stay until finished.
    expect(await owned()).to.have.length(3);
    for (const pod of (await owned()).filter((p) => p.metadata.deletionTimestamp)) await finish(pod);
    await eventually(async () => expect(await owned()).to.have.length(1));

    await api.delete('replicasets', 'default', 'shrink');
    await eventually(async () => expect((await owned()).map((p) => Boolean(p.metadata.deletionTimestamp))).to.deep.equal([true]));
    const [last] = await owned();
    await finish(last as Pod);
    expect(await owned()).to.deep.equal([]);
  });

  it('deletes a namespace at once and leaves its running pods Terminating until their node finishes them', async () => {
    await apply(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } }));
    await apply(podJson('inside', 'doomed', NODE));
    await api.delete('namespaces', '', 'doomed');
    const pod = await getPod('inside', 'doomed');
    expect(pod.metadata.deletionTimestamp).to.be.a('string');
    await finish(pod);
    expect(await gone('inside', 'doomed')).to.equal(true);
  });

  it('drains a node gracefully: its pods are Terminating, not gone', async () => {
    await call((cb) => nodeApi.Register({ node_json: nodeJson('drained-node') }, cb));
    await apply(podJson('evictee', 'default', 'drained-node'));
    const { evicted } = await api.drain('drained-node');
    expect(evicted).to.include('default/evictee');
    const pod = await getPod('evictee');
    expect(pod.metadata.deletionTimestamp).to.be.a('string');
    await finish(pod, 'drained-node');
  });

  it('removes the Terminating pods of a node whose agent went silent (lease expired): no agent is left to finish them', async () => {
    await call((cb) => nodeApi.Register({ node_json: nodeJson('silent-node') }, cb));
    await api.cordon('silent-node', true);
    await apply(podJson('abandoned', 'default', 'silent-node'));
    await api.delete('pods', 'default', 'abandoned');
    expect((await getPod('abandoned')).metadata.deletionTimestamp).to.be.a('string');
    // No heartbeat ever: the node-lifecycle controller judges it lost after its 5 s grace period.
    await eventually(async () => expect(await gone('abandoned')).to.equal(true), 20_000, 200);
  });

  it('removes the Terminating pods of a node that is deleted: no agent is left to finish them', async () => {
    await call((cb) => nodeApi.Register({ node_json: nodeJson('doomed-node') }, cb));
    await apply(podJson('stranded', 'default', 'doomed-node'));
    await api.delete('pods', 'default', 'stranded');
    expect((await getPod('stranded')).metadata.deletionTimestamp).to.be.a('string');
    await api.delete('nodes', '', 'doomed-node');
    await eventually(async () => expect(await gone('stranded')).to.equal(true));
  });
});
