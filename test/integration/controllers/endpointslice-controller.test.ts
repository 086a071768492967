import { expect } from 'chai';
import { gcKey } from '../../../control-plane/controllers/garbage-collector.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';
import type { EndpointSlice } from '../../../proto/objects/discovery.js';
import type { Pod } from '../../../proto/objects/pod.js';
import type { Service, ServiceSpec } from '../../../proto/objects/service.js';
import { ControllerHarness, R, useControllerHarness } from './harness.js';

describe('endpoints and load-balancer controllers on a real etcd', function () {
  this.timeout(60_000);
  let h: ControllerHarness;
  useControllerHarness((harness) => {
    h = harness;
  });

  async function createService(name: string, spec: Partial<ServiceSpec> = {}): Promise<Service> {
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'default', ...newIdentity() },
      spec: { type: 'ClusterIP', selector: { app: name }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }], ...spec },
    };
    return (await h.store.create(R.services, svc)) as Service;
  }

  /** createPod plays ReplicaSet, scheduler and agent: a Running pod on a node, with an address. */
  async function createPod(name: string, app: string, ip: string, ready: boolean): Promise<void> {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app }, ...newIdentity() },
      spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }] },
      status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    };
    await h.store.create(R.pods, pod);
  }

  async function changePod(name: string, change: (p: Pod) => void): Promise<void> {
    await h.store.guaranteedUpdate(R.pods, 'default', name, (current) => {
      change(current as Pod);
      return current;
    });
  }

  async function slicesOf(service: string): Promise<EndpointSlice[]> {
    return (await h.list<EndpointSlice>(R.endpointslices)).filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === service);
  }

  async function reconcile(key: string): Promise<void> {
    await h.caughtUp();
    await h.endpointSlices.reconcile(key);
    await h.caughtUp();
  }

  /** conditions lists each endpoint as `ip ready/serving/terminating`, in address order. */
  async function conditions(service: string): Promise<string[]> {
    const endpoints = (await slicesOf(service)).flatMap((s) => s.endpoints);
    return endpoints.map((e) => `${e.addresses[0]} ${e.conditions?.ready}/${e.conditions?.serving}/${e.conditions?.terminating}`).sort();
  }

  it('lists the selected pods with their resolved port, and follows readiness, termination and deletion', async () => {
    await createService('web');
    await createPod('web-1', 'web', '10.244.0.2', true);
    await createPod('web-2', 'web', '10.244.0.3', false);
    await createPod('other', 'db', '10.244.0.4', true);
    await reconcile('default/web');
    const [slice] = await slicesOf('web');
    expect(slice?.ports).to.deep.equal([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slice?.metadata.labels?.['endpointslice.kubernetes.io/managed-by']).to.equal('endpointslice-controller.berth.dev');
    expect(await conditions('web')).to.deep.equal(['10.244.0.2 true/true/false', '10.244.0.3 false/false/false']);

    // Nothing changed: nothing is written.
    const revision = await h.store.currentRevision();
    await reconcile('default/web');
    expect(await h.store.currentRevision()).to.equal(revision);

    await changePod('web-2', (p) => {
      p.status = { ...p.status, conditions: [{ type: 'Ready', status: 'True' }] };
    });
    await changePod('web-1', (p) => {
      p.metadata.deletionTimestamp = '2026-01-01T00:00:30Z';
    });
    await reconcile('default/web');
    // A terminating pod is out of service at once, even while it is still Ready (drain before kill).
    expect(await conditions('web')).to.deep.equal(['10.244.0.2 false/false/true', '10.244.0.3 true/true/false']);

    await h.store.delete(R.pods, 'default', 'web-1');
    await reconcile('default/web');
    expect(await conditions('web')).to.deep.equal(['10.244.0.3 true/true/false']);
    expect(await slicesOf('web')).to.have.length(1);
  });

  it('keeps one empty slice for a Service with no pods, and the garbage collector removes the slices with the Service', async () => {
    const svc = await createService('lonely');
    await reconcile('default/lonely');
    const [slice] = await slicesOf('lonely');
    expect(slice?.endpoints).to.deep.equal([]);
    await h.store.delete(R.services, 'default', 'lonely');
    await h.caughtUp();
    await h.gc.reconcile(gcKey(R.endpointslices, slice as EndpointSlice));
    expect(await slicesOf('lonely')).to.deep.equal([]);
    expect(svc.metadata.uid).to.be.a('string');
  });

  it('never adds a slice twice while its informer lags behind its own writes', async () => {
    await createService('lag');
    for (let i = 0; i < 3; i++) await createPod(`lag-${i}`, 'lag', `10.244.1.${i + 2}`, true);
    await h.caughtUp();
    h.informer('endpointslices').stop();
    await h.endpointSlices.reconcile('default/lag');
    // The slice cache has not seen the slice just written: planning again now would write it twice.
    expect(await h.endpointSlices.reconcile('default/lag')).to.deep.equal({ kind: 'requeueAfter', delayMs: 20 });
    await h.informer('endpointslices').start();
    await reconcile('default/lag');
    const slices = await slicesOf('lag');
    expect(slices.map((s) => s.endpoints.length)).to.deep.equal([3]);
  });

  it('removes the slices of a Service whose selector is removed', async () => {
    await createService('plain');
    await createPod('plain-1', 'plain', '10.244.2.2', true);
    await reconcile('default/plain');
    expect(await slicesOf('plain')).to.have.length(1);
    await h.store.guaranteedUpdate(R.services, 'default', 'plain', (current) => {
      delete (current as Service).spec.selector;
      return current;
    });
    await reconcile('default/plain');
    expect(await slicesOf('plain')).to.deep.equal([]);
  });

  it('mirrors the v1 Endpoints a user wrote for a Service without a selector into a slice', async () => {
    await createService('outside', { selector: {}, ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] });
    const endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'outside', namespace: 'default', ...newIdentity() },
      subsets: [{ addresses: [{ ip: '192.0.2.10' }], notReadyAddresses: [{ ip: '192.0.2.11' }], ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }],
    };
    await h.store.create(R.endpoints, endpoints as never);
    await reconcile('default/outside');
    const [slice] = await slicesOf('outside');
    expect(slice?.ports).to.deep.equal([{ name: 'pg', port: 5432, protocol: 'TCP' }]);
    expect(await conditions('outside')).to.deep.equal(['192.0.2.10 true/true/false', '192.0.2.11 false/false/false']);
    await h.store.delete(R.endpoints, 'default', 'outside');
    await reconcile('default/outside');
    expect(await slicesOf('outside')).to.deep.equal([]);
  });

  it("reports every Ready node's InternalIP as a LoadBalancer Service's ingress, as nodes come and go", async () => {
    await h.addNode('node-a', '10.213.0.3');
    await h.addNode('node-b', '10.213.0.2');
    await createService('lb', { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] });
    await h.caughtUp();
    await h.loadBalancers.reconcile('default/lb');
    while (h.loadBalancers.queue.length > 0) h.loadBalancers.queue.done((await h.loadBalancers.queue.next()) as string);
    const ingress = async () => ((await h.get<Service>(R.services, 'lb')).status?.loadBalancer?.ingress ?? []).map((i) => i.ip);
    expect(await ingress()).to.deep.equal(['10.213.0.2', '10.213.0.3']);
    await h.store.guaranteedUpdate(R.nodes, undefined, 'node-a', (current) => {
      current.status = { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] };
      return current;
    });
    await h.caughtUp();
    // The node's change woke the Service.
    expect(h.loadBalancers.queue.length).to.equal(1);
    await h.loadBalancers.reconcile('default/lb');
    expect(await ingress()).to.deep.equal(['10.213.0.2']);
  });
});
