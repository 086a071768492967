import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { ClusterClient } from '../../../cli/client.js';
import type { NodeAPIClient } from '../../../proto/generated/berth/v1/NodeAPI.js';
import type { Node } from '../../../proto/objects/cluster.js';
import type { EndpointSlice } from '../../../proto/objects/discovery.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { eventually } from '../../support/wait.js';
import { rawNodeApiAs } from '../../support/test-clients.js';
import { TEST_ADMIN, testClusterClient } from '../../support/test-pki.js';

function call<T>(fn: (cb: (err: grpc.ServiceError | null, res?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res as T))));
}

interface Drained {
  drained: boolean;
  message: string;
}

const nodeJson = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { unschedulable: true }, status: { capacity: { cpu: '8', memory: '8Gi', pods: '110' } } });

describe('WaitEndpointsDrained and ReportProxySync on a real control plane and etcd', function () {
  this.timeout(60_000);
  let cp: TestControlPlane;
  let api: ClusterClient;
  let nodeApi: NodeAPIClient;
  let store: ObjectStore;
  let closeEtcd: () => void;
  let beats: NodeJS.Timeout | undefined;
  const NODES = ['drain-a', 'drain-b'];
  let ip = 10;

  before(async () => {
    cp = await startTestControlPlane();
    api = await testClusterClient(cp.server);
    // The test stands in for the agents of several nodes: as an admin, who may speak for any node.
    nodeApi = await rawNodeApiAs(cp.server, TEST_ADMIN);
    const etcd = connectEtcd([cp.etcd.endpoint]);
    store = new ObjectStore(etcd);
    closeEtcd = () => etcd.close();
    for (const n of NODES) await call((cb) => nodeApi.Register({ node_json: nodeJson(n) }, cb));
    beats = setInterval(() => {
      for (const n of NODES) nodeApi.Heartbeat({ node_name: n }, () => undefined);
    }, 500);
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'drain-svc' }, spec: { selector: { app: 'drain' }, ports: [{ port: 80 }] } };
    await api.apply({ documents: [{ source: 'svc.yaml', index: 1, json: JSON.stringify(service) }] });
  });

  after(async () => {
    if (beats) clearInterval(beats);
    api?.close();
    nodeApi?.close();
    closeEtcd?.();
    await cp?.stop();
  });

  const report = (node: string, revision: string | number) => call((cb) => nodeApi.ReportProxySync({ node_name: node, resource_version: String(revision) }, cb));
  const waitDrained = (pod: Pod, timeoutMs: number) =>
    call<Drained>((cb) => nodeApi.WaitEndpointsDrained({ node_name: pod.spec.nodeName ?? '', namespace: 'default', name: pod.metadata.name, uid: pod.metadata.uid ?? '', timeout_ms: timeoutMs }, cb));
  const slices = async () => (await store.list(RESOURCE.endpointslices, 'default')).items.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'drain-svc') as EndpointSlice[];
  const endpointOf = async (pod: Pod) => {
    for (const slice of await slices()) for (const e of slice.endpoints) if (e.targetRef?.uid === pod.metadata.uid) return { slice, endpoint: e };
    return undefined;
  };

  /** A Ready pod of the Service on drain-a, listed as serving; returns it with the slice revision that lists it. */
  async function servingPod(name: string): Promise<{ pod: Pod; listedAt: string }> {
    const manifest = { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'drain' } }, spec: { nodeName: 'drain-a', containers: [{ name: 'c', image: 'busybox:1.35' }] } };
    await api.apply({ documents: [{ source: 'pod.yaml', index: 1, json: JSON.stringify(manifest) }] });
    const pod = (await api.get('pods', 'default', name)) as Pod;
    const status = { phase: 'Running', podIP: `10.244.7.${ip++}`, conditions: [{ type: 'Ready', status: 'True' }] };
    await call((cb) => nodeApi.UpdatePodStatuses({ node_name: 'drain-a', updates: [{ namespace: 'default', name, uid: pod.metadata.uid ?? '', status_json: JSON.stringify(status) }] }, cb));
    const listed = await eventually(async () => {
      const found = await endpointOf(pod);
      expect(found?.endpoint.conditions?.serving).to.equal(true);
      return found as { slice: EndpointSlice };
    });
    return { pod, listedAt: listed.slice.metadata.resourceVersion ?? '' };
  }

  /** Deletes the pod and returns the revision of the slice change that took it out of service. */
  async function deleteAndWaitForSlice(pod: Pod): Promise<string> {
    await api.delete('pods', 'default', pod.metadata.name);
    const found = await eventually(async () => {
      const f = await endpointOf(pod);
      expect(f?.endpoint.conditions).to.deep.equal({ ready: false, serving: false, terminating: true });
      return f as { slice: EndpointSlice };
    });
    return found.slice.metadata.resourceVersion ?? '';
  }

  it('takes a deleted pod out of service at once, and answers drained once every Ready node reported past that change', async () => {
    const { pod, listedAt } = await servingPod('drain-1');
    // Reports from before the slice change do not count.
    for (const n of NODES) await report(n, listedAt);
    const changedAt = await deleteAndWaitForSlice(pod);
    const early = await waitDrained(pod, 200);
    expect(early.drained).to.equal(false);
    expect(early.message).to.equal(`not drained after 200 ms: the service proxy of node drain-a, drain-b has not yet synced EndpointSlice revision ${changedAt}`);

    // A wait in progress is answered by the reports themselves.
    const waiting = waitDrained(pod, 20_000);
    let answered = false;
    void waiting.then(() => (answered = true));
    await report('drain-a', changedAt);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).to.equal(false, 'drain-b has not reported yet');
    await report('drain-b', Number(changedAt) + 5);
    expect(await waiting).to.deep.equal({ drained: true, message: '' });
    // Reports after the change answer at once.
    expect(await waitDrained(pod, 20_000)).to.deep.equal({ drained: true, message: '' });
  });

  it('does not wait for a node that is not Ready', async () => {
    await call((cb) => nodeApi.Register({ node_json: nodeJson('drain-down') }, cb));
    await store.guaranteedUpdate(RESOURCE.nodes, undefined, 'drain-down', (n) => {
      const node = n as Node;
      // The agent's own NotReady, which the node-lifecycle controller leaves alone.
      node.status = { ...node.status, conditions: [{ type: 'Ready', status: 'False', reason: 'RuntimeDown' }] };
      return node;
    });
    const { pod } = await servingPod('drain-2');
    const changedAt = await deleteAndWaitForSlice(pod);
    for (const n of NODES) await report(n, changedAt);
    expect(await waitDrained(pod, 20_000)).to.deep.equal({ drained: true, message: '' });
  });

  it('counts a Ready node that never reported as not synced, and names it at the timeout', async () => {
    await call((cb) => nodeApi.Register({ node_json: nodeJson('drain-mute') }, cb));
    nodeApi.Heartbeat({ node_name: 'drain-mute' }, () => undefined);
    const { pod } = await servingPod('drain-3');
    const changedAt = await deleteAndWaitForSlice(pod);
    for (const n of NODES) await report(n, changedAt);
    const answer = await waitDrained(pod, 300);
    expect(answer).to.deep.equal({ drained: false, message: `not drained after 300 ms: the service proxy of node drain-mute has not yet synced EndpointSlice revision ${changedAt}` });
  });

  it('answers drained at once for a pod no EndpointSlice ever listed', async () => {
    const manifest = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'no-service', labels: { app: 'other' } }, spec: { nodeName: 'drain-a', containers: [{ name: 'c', image: 'busybox:1.35' }] } };
    await api.apply({ documents: [{ source: 'pod.yaml', index: 1, json: JSON.stringify(manifest) }] });
    const pod = (await api.delete('pods', 'default', 'no-service')) as Pod;
    expect(await waitDrained(pod, 5_000)).to.deep.equal({ drained: true, message: '' });
  });

  it('refuses a report that is not a revision, naming it', async () => {
    const code = await report('drain-a', 'yesterday').then(
      () => grpc.status.OK,
      (err: grpc.ServiceError) => {
        expect(err.details).to.equal('resource_version "yesterday" is not a revision (a whole number)');
        return err.code;
      },
    );
    expect(code).to.equal(grpc.status.INVALID_ARGUMENT);
  });
});
