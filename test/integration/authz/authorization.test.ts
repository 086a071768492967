import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { ClusterAPIClient } from '../../../proto/generated/berth/v1/ClusterAPI.js';
import type { NodeAPIClient } from '../../../proto/generated/berth/v1/NodeAPI.js';
import type { WatchEvent__Output } from '../../../proto/generated/berth/v1/WatchEvent.js';
import { INITIAL_EVENTS_END, loadBerthProto } from '../../../proto/grpc.js';
import type { Lease, Node } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import type { CallerIdentity } from '../../../proto/security/identity.js';
import { CONTROL_PLANE_SERVER_NAME, channelCredentials, channelOptionsFor } from '../../../proto/security/tls-credentials.js';
import { applyDefaults } from '../../../control-plane/objects/defaults.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { issueKeyAndCertificate } from '../../../proto/security/pki.js';
import { testCa, testCredentials } from '../../support/test-pki.js';

const pods = RESOURCE.pods;
const proto = loadBerthProto();

function call<T>(fn: (cb: (err: grpc.ServiceError | null, res?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res as T))));
}

/** The status code and message a call was refused with ('OK' when it was not). */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (err) {
    const { code, details } = err as grpc.ServiceError;
    return `${grpc.status[code]}: ${details}`;
  }
}

/** The names of the objects a node's watch stream lists before its BOOKMARK, or the status it ended with. */
function initialNames(stream: grpc.ClientReadableStream<WatchEvent__Output>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const names: string[] = [];
    stream.on('data', (e: WatchEvent__Output) => {
      if (e.type !== INITIAL_EVENTS_END) return names.push((JSON.parse(e.object_json) as Pod).metadata.name);
      stream.cancel();
      resolve(names);
    });
    stream.on('error', (err: grpc.ServiceError) => (err.code === grpc.status.CANCELLED ? undefined : reject(err)));
  });
}

const nodeJson = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {}, status: { capacity: { cpu: '2', memory: '1Gi', pods: '110' } } });

describe('authorization by certificate identity, through mutual TLS', function () {
  this.timeout(60_000);
  let cp: TestControlPlane;
  let etcd: EtcdClient;
  let store: ObjectStore;
  const clients: Array<{ close(): void }> = [];

  before(async () => {
    cp = await startTestControlPlane({ runControllers: false });
    etcd = connectEtcd([cp.etcd.endpoint]);
    store = new ObjectStore(etcd);
  });
  after(async () => {
    for (const c of clients) c.close();
    etcd?.close();
    await cp?.stop();
  });

  async function nodeApi(identity: CallerIdentity): Promise<NodeAPIClient> {
    const client = new proto.berth.v1.NodeAPI(cp.server, channelCredentials(await testCredentials(identity)), channelOptionsFor(CONTROL_PLANE_SERVER_NAME)) as unknown as NodeAPIClient;
    clients.push(client);
    return client;
  }
  async function clusterApi(identity: CallerIdentity): Promise<ClusterAPIClient> {
    const client = new proto.berth.v1.ClusterAPI(cp.server, channelCredentials(await testCredentials(identity)), channelOptionsFor(CONTROL_PLANE_SERVER_NAME)) as unknown as ClusterAPIClient;
    clients.push(client);
    return client;
  }
  async function createPod(name: string, nodeName: string): Promise<Pod> {
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox:1' }], nodeName } };
    applyDefaults(pod);
    Object.assign(pod.metadata, newIdentity());
    return (await store.create(pods, pod)) as Pod;
  }
  const storedPod = async (name: string) => (await store.get(pods, 'default', name)) as Pod;

  it('shows node A only its own pods, and refuses it the pods of node B', async () => {
    await createPod('a-web', 'node-a');
    await createPod('b-db', 'node-b');
    const a = await nodeApi({ kind: 'node', nodeName: 'node-a' });
    expect(await initialNames(a.WatchPods({ node_name: 'node-a' }))).to.deep.equal(['a-web']);
    expect(await refusal(initialNames(a.WatchPods({ node_name: 'node-b' })))).to.equal('PERMISSION_DENIED: node node-a may not watch the pods of node node-b: a node acts only for itself');
    expect(await refusal(initialNames(a.WatchConfigObjects({ node_name: 'node-b' })))).to.match(/^PERMISSION_DENIED: node node-a may not watch the ConfigMaps and Secrets of node node-b/);
  });

  it('refuses node A a status update of node B\'s pod, and a whole batch that holds one: nothing is written', async () => {
    const mine = await createPod('a-status', 'node-a');
    const theirs = await createPod('b-status', 'node-b');
    const a = await nodeApi({ kind: 'node', nodeName: 'node-a' });
    const update = (pod: Pod) => ({ namespace: 'default', name: pod.metadata.name, uid: pod.metadata.uid ?? '', status_json: JSON.stringify({ phase: 'Running', hostIP: '10.6.6.6' }) });
    const before = [await storedPod('a-status'), await storedPod('b-status')];
    expect(await refusal(call((cb) => a.UpdatePodStatuses({ node_name: 'node-a', updates: [update(mine), update(theirs)] }, cb)))).to.equal(
      'PERMISSION_DENIED: node node-a may not report the status of pod default/b-status: it is not bound to node node-a (none of the 2 statuses in the call was written)',
    );
    // Claiming to be node B changes nothing: the certificate says node A.
    expect(await refusal(call((cb) => a.UpdatePodStatuses({ node_name: 'node-b', updates: [update(theirs)] }, cb)))).to.match(/^PERMISSION_DENIED: node node-a may not report pod statuses for node node-b/);
    expect([await storedPod('a-status'), await storedPod('b-status')]).to.deep.equal(before);
    // Its own pod alone is written.
    const reply = await call<{ results: Array<{ code: number }> }>((cb) => a.UpdatePodStatuses({ node_name: 'node-a', updates: [update(mine)] }, cb));
    expect(reply.results.map((r) => r.code)).to.deep.equal([grpc.status.OK]);
    expect((await storedPod('a-status')).status?.hostIP).to.equal('10.6.6.6');
  });

  it('refuses node A finishing node B\'s pod, and events about it', async () => {
    const theirs = await createPod('b-finish', 'node-b');
    const a = await nodeApi({ kind: 'node', nodeName: 'node-a' });
    expect(await refusal(call((cb) => a.FinishPodTermination({ node_name: 'node-a', namespace: 'default', name: 'b-finish', uid: theirs.metadata.uid ?? '' }, cb)))).to.equal(
      'PERMISSION_DENIED: node node-a may not remove pod default/b-finish: it is not bound to node node-a',
    );
    const event = JSON.stringify({ involvedObject: { kind: 'Pod', namespace: 'default', name: 'b-finish', uid: theirs.metadata.uid }, reason: 'Killing', message: 'forged' });
    expect(await refusal(call((cb) => a.RecordEvents({ node_name: 'node-a', events_json: [event] }, cb)))).to.match(/^PERMISSION_DENIED: node node-a may not record an event about pod default\/b-finish/);
    expect((await storedPod('b-finish')).metadata.uid).to.equal(theirs.metadata.uid);
  });

  it('lets node A register and heartbeat only itself', async () => {
    const a = await nodeApi({ kind: 'node', nodeName: 'node-a' });
    expect(await refusal(call((cb) => a.Register({ node_json: nodeJson('node-b') }, cb)))).to.equal('PERMISSION_DENIED: node node-a may not register node node-b: a node registers only itself');
    expect(await store.tryGet(RESOURCE.nodes, undefined, 'node-b')).to.equal(undefined);
    await call((cb) => a.Register({ node_json: nodeJson('node-a') }, cb));
    expect(((await store.get(RESOURCE.nodes, undefined, 'node-a')) as Node).metadata.name).to.equal('node-a');
    const b = await nodeApi({ kind: 'node', nodeName: 'node-b' });
    await call((cb) => b.Register({ node_json: nodeJson('node-b') }, cb));
    await call((cb) => b.Heartbeat({ node_name: 'node-b' }, cb));
    const lease = (await store.get(RESOURCE.leases, undefined, 'node-b')) as Lease;
    expect(await refusal(call((cb) => a.Heartbeat({ node_name: 'node-b' }, cb)))).to.equal('PERMISSION_DENIED: node node-a may not renew the lease of node node-b: a node acts only for itself');
    expect(await store.get(RESOURCE.leases, undefined, 'node-b')).to.deep.equal(lease);
  });

  it('refuses ClusterAPI to node and control-plane identities, and lets an admin do everything, Leases included', async () => {
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'admin-lease' }, spec: { holderIdentity: 'x', leaseDurationSeconds: 40 } };
    const apply = (client: ClusterAPIClient) => call((cb) => client.Apply({ documents: [{ json: JSON.stringify(lease), source: 'lease.yaml' }] }, cb));
    for (const identity of [{ kind: 'node', nodeName: 'node-a' }, { kind: 'control-plane', name: 'berth-control-plane' }] as CallerIdentity[]) {
      const client = await clusterApi(identity);
      const who = identity.kind === 'node' ? `node ${identity.nodeName}` : `control-plane ${identity.name}`;
      expect(await refusal(apply(client))).to.equal(`PERMISSION_DENIED: ${who} may not call ClusterAPI Apply: ClusterAPI is for admin identities only`);
      expect(await refusal(call((cb) => client.Get({ resource: 'pods', namespace: 'default', name: 'a-web' }, cb)))).to.match(/^PERMISSION_DENIED: .* may not call ClusterAPI Get/);
      expect(await refusal(call((cb) => client.List({ resource: 'pods', all_namespaces: true }, cb)))).to.match(/^PERMISSION_DENIED: .* may not call ClusterAPI List/);
    }
    expect(await store.tryGet(RESOURCE.leases, undefined, 'admin-lease')).to.equal(undefined);
    const admin = await clusterApi({ kind: 'admin', name: 'alice' });
    await apply(admin);
    expect(((await store.get(RESOURCE.leases, undefined, 'admin-lease')) as Lease).spec.holderIdentity).to.equal('x');
    const listed = await call<{ items_json: string[] }>((cb) => admin.List({ resource: 'pods', all_namespaces: true }, cb));
    expect(listed.items_json.length).to.be.greaterThan(0);
    // An admin may speak for any node through NodeAPI (tools, tests), as system:masters may in Kubernetes.
    const adminAsNode = await nodeApi({ kind: 'admin', name: 'alice' });
    expect(await initialNames(adminAsNode.WatchPods({ node_name: 'node-b' }))).to.include('b-db');
  });

  it('refuses a certificate of the cluster CA whose subject names no Berth identity, before any handler', async () => {
    const ca = await testCa();
    const nameless = { caPem: ca.certPem, ...(await issueKeyAndCertificate(ca, { commonName: 'bob', organizations: ['developers'] }, { usage: 'client', validForMs: 3_600_000 })) };
    const cluster = new proto.berth.v1.ClusterAPI(cp.server, channelCredentials(nameless), channelOptionsFor(CONTROL_PLANE_SERVER_NAME)) as unknown as ClusterAPIClient;
    const node = new proto.berth.v1.NodeAPI(cp.server, channelCredentials(nameless), channelOptionsFor(CONTROL_PLANE_SERVER_NAME)) as unknown as NodeAPIClient;
    clients.push(cluster, node);
    expect(await refusal(call((cb) => cluster.List({ resource: 'pods', all_namespaces: true }, cb)))).to.equal('PERMISSION_DENIED: an unauthenticated caller may not call ClusterAPI List: ClusterAPI is for admin identities only');
    expect(await refusal(call((cb) => node.Register({ node_json: nodeJson('bob') }, cb)))).to.equal('PERMISSION_DENIED: an unauthenticated caller may not call NodeAPI Register: NodeAPI is for node identities');
    expect(await store.tryGet(RESOURCE.nodes, undefined, 'bob')).to.equal(undefined);
  });
});
