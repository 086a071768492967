import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { NodeAPIClient } from '../../../proto/generated/berth/v1/NodeAPI.js';
import type { Lease, Node } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import { RESOURCE } from '../../../proto/resources.js';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { eventually } from '../../support/wait.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';
import { applyDefaults } from '../../../control-plane/objects/defaults.js';
import { rawNodeApi, rawNodeApiAs } from '../../support/test-clients.js';
import { TEST_ADMIN } from '../../support/test-pki.js';

const pods = RESOURCE.pods;

function call<T>(fn: (cb: (err: grpc.ServiceError | null, res?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res as T))));
}

const nodeJson = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {}, status: { capacity: { cpu: '2', memory: '1000', pods: '110' } } });

describe('NodeAPI on a real control plane and etcd', function () {
  this.timeout(60_000);
  let cp: TestControlPlane;
  const clients = new Map<string, NodeAPIClient>();
  let store: ObjectStore;
  let close: () => void;

  before(async () => {
    cp = await startTestControlPlane();
    const etcd = connectEtcd([cp.etcd.endpoint]);
    store = new ObjectStore(etcd);
    close = () => etcd.close();
  });

  after(async () => {
    for (const client of clients.values()) client.close();
    close?.();
    await cp?.stop();
  });

  /** The NodeAPI client of node `name` (with that node's certificate: a node speaks only for itself), or of the test admin. */
  async function as(name: string | typeof TEST_ADMIN): Promise<NodeAPIClient> {
    const key = typeof name === 'string' ? name : 'admin';
    let client = clients.get(key);
    if (!client) clients.set(key, (client = typeof name === 'string' ? await rawNodeApi(cp.server, name) : await rawNodeApiAs(cp.server, name)));
    return client;
  }

  async function createPod(name: string, nodeName?: string): Promise<Pod> {
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox:1' }], ...(nodeName ? { nodeName } : {}) } };
    applyDefaults(pod);
    Object.assign(pod.metadata, newIdentity());
    return (await store.create(pods, pod)) as Pod;
  }

  it('gives 20 nodes registering at once 20 different pod CIDRs, and the same one again on re-registration', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `cidr-node-${i}`);
    const nodeClients = await Promise.all(names.map((n) => as(n)));
    const replies = await Promise.all(names.map((n, i) => call<{ pod_cidr: string }>((cb) => nodeClients[i]!.Register({ node_json: nodeJson(n) }, cb))));
    const cidrs = replies.map((r) => r.pod_cidr);
    expect(new Set(cidrs).size).to.equal(20);
    for (const c of cidrs) expect(c).to.match(/^10\.244\.\d+\.0\/24$/);
    const again = await call<{ pod_cidr: string; node_json: string }>((cb) => nodeClients[3]!.Register({ node_json: nodeJson('cidr-node-3') }, cb));
    expect(again.pod_cidr).to.equal(cidrs[3]);
    expect((JSON.parse(again.node_json) as Node).spec.podCIDRs).to.deep.equal([cidrs[3]]);
  });

  it('Heartbeat renews the node\'s Lease and turns a NotReady node Ready again', async () => {
    const nodes = RESOURCE.nodes;
    const leases = RESOURCE.leases;
    const client = await as('beat-node');
    await call((cb) => client.Register({ node_json: nodeJson('beat-node') }, cb));
    await store.guaranteedUpdate(nodes, undefined, 'beat-node', (n) => {
      const node = n as Node;
      node.status = { ...node.status, conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] };
      return node;
    });
    const reply = await call<{ lease_duration_seconds: string }>((cb) => client.Heartbeat({ node_name: 'beat-node' }, cb));
    expect(Number(reply.lease_duration_seconds)).to.be.greaterThan(0);
    const lease = (await store.get(leases, undefined, 'beat-node')) as Lease;
    expect(lease.spec.holderIdentity).to.equal('beat-node');
    expect(lease.spec.renewTime).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const node = (await store.get(nodes, undefined, 'beat-node')) as Node;
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
    const stranger = await as('never-registered');
    const unknown = await call((cb) => stranger.Heartbeat({ node_name: 'never-registered' }, cb)).catch((e: grpc.ServiceError) => e.code);
    expect(unknown).to.equal(grpc.status.NOT_FOUND);
  });

  it('WatchPods sends the node\'s pods, a BOOKMARK, then binding as ADDED and unbinding or deletion as DELETED', async () => {
    const client = await as('watch-node');
    await call((cb) => client.Register({ node_json: nodeJson('watch-node') }, cb));
    await createPod('already-here', 'watch-node');
    await createPod('elsewhere', 'other-node');
    const seen: string[] = [];
    const stream = client.WatchPods({ node_name: 'watch-node' });
    stream.on('data', (e: { type: string; object_json: string }) => seen.push(e.type === 'BOOKMARK' ? 'BOOKMARK' : `${e.type} ${(JSON.parse(e.object_json) as Pod).metadata.name}`));
    stream.on('error', () => undefined);
    try {
      await eventually(() => expect(seen).to.deep.equal(['ADDED already-here', 'BOOKMARK']));
      const later = await createPod('later');
      await store.guaranteedUpdate(pods, 'default', 'later', (p) => ({ ...p, spec: { ...(p as Pod).spec, nodeName: 'watch-node' } }) as Pod);
      await eventually(() => expect(seen).to.include('ADDED later'));
      await store.guaranteedUpdate(pods, 'default', 'later', (p) => ({ ...p, spec: { ...(p as Pod).spec, nodeName: 'other-node' } }) as Pod);
      await eventually(() => expect(seen).to.include('DELETED later'));
      await store.delete(pods, 'default', 'already-here');
      await eventually(() => expect(seen).to.include('DELETED already-here'));
      expect(seen.filter((s) => s.includes('elsewhere'))).to.deep.equal([]);
      expect(later.metadata.uid).to.be.a('string');
    } finally {
      stream.cancel();
    }
  });

  it('WatchServices streams Services and EndpointSlices, WatchNodes streams Nodes: the existing ones as ADDED, a BOOKMARK, then changes', async () => {
    const svc = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', ...newIdentity() }, spec: { selector: { app: name }, ports: [{ port: 80 }] } });
    const slice = (name: string) => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': 'first' }, ...newIdentity() }, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true } }] });
    await store.create(RESOURCE.services, svc('first') as never);
    const seen = { services: [] as string[], nodes: [] as string[] };
    const record = (into: string[]) => (e: { type: string; object_json: string }) => {
      if (e.type === 'BOOKMARK') return into.push('BOOKMARK');
      const o = JSON.parse(e.object_json) as { kind: string; metadata: { name: string } };
      into.push(`${e.type} ${o.kind}/${o.metadata.name}`);
    };
    const client = await as('any');
    const services = client.WatchServices({ node_name: 'any' });
    const nodes = client.WatchNodes({ node_name: 'any' });
    services.on('data', record(seen.services));
    nodes.on('data', record(seen.nodes));
    for (const stream of [services, nodes]) stream.on('error', () => undefined);
    try {
      // The initial list ends with one BOOKMARK; changes may follow at once (the endpoints
      // controller is making first's EndpointSlice meanwhile).
      const initial = (events: string[]) => events.slice(0, events.indexOf('BOOKMARK'));
      await eventually(() => expect(seen.services).to.include('BOOKMARK'));
      expect(initial(seen.services)).to.include('ADDED Service/first');
      expect(initial(seen.services).every((s) => s.startsWith('ADDED '))).to.equal(true);
      await eventually(() => expect(seen.nodes).to.include('BOOKMARK'));
      expect(initial(seen.nodes).some((s) => s.startsWith('ADDED Node/'))).to.equal(true);
      await store.create(RESOURCE.services, svc('second') as never);
      await store.create(RESOURCE.endpointslices, slice('first-abc') as never);
      await store.delete(RESOURCE.services, 'default', 'first');
      await eventually(() => expect(seen.services).to.include.members(['ADDED Service/second', 'ADDED EndpointSlice/first-abc', 'DELETED Service/first']));
      expect(seen.services.filter((s) => s === 'BOOKMARK')).to.have.length(1);
    } finally {
      services.cancel();
      nodes.cancel();
    }
  });

  it('UpdatePodStatuses writes exactly the reported status of a pod bound to the node and never touches its spec', async () => {
    const pod = await createPod('status-pod', 'status-node');
    const status = { phase: 'Running', hostIP: '127.0.0.1' };
    const client = await as('status-node');
    const reply = await call<{ results: Array<{ code: number }> }>((cb) =>
      client.UpdatePodStatuses({ node_name: 'status-node', updates: [{ namespace: 'default', name: 'status-pod', uid: pod.metadata.uid ?? '', status_json: JSON.stringify(status) }] }, cb),
    );
    expect(reply.results.map((r) => r.code)).to.deep.equal([grpc.status.OK]);
    const stored = (await store.get(pods, 'default', 'status-pod')) as Pod;
    expect(stored.status).to.deep.equal(status);
    expect(stored.spec).to.deep.equal(pod.spec);
  });

  // An admin may speak for any node: the handler's own check refuses the foreign pod alone (a node's
  // own call naming a foreign pod is refused whole before it reaches the handler).
  it('UpdatePodStatuses applies each update on its own: a foreign (from an admin), stale or invalid one is refused alone', async () => {
    const client = await as(TEST_ADMIN);
    const good = await createPod('batch-good', 'batch-node');
    const elsewhere = await createPod('batch-elsewhere', 'other-node');
    const alsoGood = await createPod('batch-good-2', 'batch-node');
    const status = (phase: string) => JSON.stringify({ phase, hostIP: '10.0.0.9' });
    const update = (pod: Pod, statusJson: string, uid = pod.metadata.uid ?? '') => ({ namespace: 'default', name: pod.metadata.name, uid, status_json: statusJson });
    const reply = await call<{ results: Array<{ code: number; message: string }> }>((cb) =>
      client.UpdatePodStatuses(
        {
          node_name: 'batch-node',
          updates: [update(good, status('Running')), update(elsewhere, status('Running')), update(alsoGood, status('Running'), 'stale-uid'), update(alsoGood, '{not json'), update(alsoGood, status('Pending'))],
        },
        cb,
      ),
    );
    expect(reply.results.map((r) => r.code)).to.deep.equal([grpc.status.OK, grpc.status.NOT_FOUND, grpc.status.NOT_FOUND, grpc.status.INVALID_ARGUMENT, grpc.status.OK]);
    expect(reply.results[1]!.message).to.contain('not bound to node batch-node');
    expect(reply.results[3]!.message).to.contain('status_json is not valid JSON');
    expect(((await store.get(pods, 'default', 'batch-good')) as Pod).status?.phase).to.equal('Running');
    expect(((await store.get(pods, 'default', 'batch-elsewhere')) as Pod).status?.phase).to.not.equal('Running');
    expect(((await store.get(pods, 'default', 'batch-good-2')) as Pod).status?.phase).to.equal('Pending');
  });

  it('RecordEvents records the valid events of a batch and names the refused ones', async () => {
    const pod = await createPod('events-pod', 'events-node');
    const about = { apiVersion: 'v1', kind: 'Pod', name: 'events-pod', namespace: 'default', uid: pod.metadata.uid };
    const client = await as('events-node');
    const reply = await call<{ problems: string[] }>((cb) =>
      client.RecordEvents(
        {
          node_name: 'events-node',
          events_json: [JSON.stringify({ involvedObject: about, type: 'Normal', reason: 'Pulled', message: 'image present' }), JSON.stringify({ involvedObject: about, type: 'Normal', message: 'no reason' }), JSON.stringify({ involvedObject: about, type: 'Normal', reason: 'Started', message: 'Started container c' })],
        },
        cb,
      ),
    );
    expect(reply.problems).to.deep.equal(['event 2: an event needs a reason']);
    await eventually(async () => {
      const events = await store.list(RESOURCE.events, 'default');
      const reasons = events.items.filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'events-pod').map((e) => (e as { reason?: string }).reason);
      expect(reasons.sort()).to.deep.equal(['Pulled', 'Started']);
    });
  });
});
