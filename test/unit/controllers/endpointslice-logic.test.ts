import { expect } from 'chai';
import { desiredGroups, endpointPorts, podEndpoint, podFingerprint, sliceLabels } from '../../../control-plane/controllers/endpoints-logic.js';
import { planSlices } from '../../../control-plane/controllers/endpointslice-planner.js';
import type { EndpointSlice } from '../../../proto/objects/discovery.js';
import type { Pod } from '../../../proto/objects/pod.js';
import type { Service, ServiceSpec } from '../../../proto/objects/service.js';
import { pod as basePod } from './fixtures.js';

function service(spec: Partial<ServiceSpec> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', labels: { tier: 'front' } },
    spec: { selector: { app: 'web' }, clusterIP: '10.96.1.1', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }], ...spec },
  };
}

/** A Running pod with an address and a container port named http (8080), ready or not. */
function pod(i: number, opts: { ready?: boolean; deleting?: boolean; httpPort?: number | null; ip?: string } = {}): Pod {
  const p = basePod(`web-${i}`, { nodeName: `node-${i % 3}`, ready: opts.ready ?? true });
  p.metadata.uid = `pod-${i}`;
  if (opts.deleting) p.metadata.deletionTimestamp = '2026-01-01T00:00:05Z';
  p.spec.containers = [{ name: 'c', image: 'busybox', ...(opts.httpPort === null ? {} : { ports: [{ name: 'http', containerPort: opts.httpPort ?? 8080, protocol: 'TCP' }] }) }];
  p.status = { ...p.status, podIP: opts.ip ?? `10.244.${Math.floor(i / 250)}.${(i % 250) + 2}` };
  return p;
}

let names = 0;
const newName = () => `web-n${++names}`;

/** stored turns a plan's new slices into what the informer would hold after they were written. */
function stored(slices: EndpointSlice[]): EndpointSlice[] {
  return slices.map((s, i) => ({ ...s, metadata: { ...s.metadata, uid: `slice-${i}`, resourceVersion: String(100 + i) } }));
}

describe('endpoints controller logic', () => {
  it('marks endpoints ready, serving and terminating', () => {
    const svc = service();
    expect(podEndpoint(pod(1), svc)?.conditions).to.deep.equal({ ready: true, serving: true, terminating: false });
    expect(podEndpoint(pod(1, { ready: false }), svc)?.conditions).to.deep.equal({ ready: false, serving: false, terminating: false });
    expect(podEndpoint(pod(1, { ready: false }), service({ publishNotReadyAddresses: true }))?.conditions?.ready).to.equal(true);
  });

  it('takes a terminating pod out of service at once, even while it is still Ready', () => {
    // Unlike Kubernetes (serving stays true): proxies must drop it before its agent stops it.
    expect(podEndpoint(pod(1, { deleting: true }), service())?.conditions).to.deep.equal({ ready: false, serving: false, terminating: true });
    expect(podEndpoint(pod(1, { deleting: true }), service({ publishNotReadyAddresses: true }))?.conditions).to.deep.equal({ ready: false, serving: false, terminating: true });
  });

  it('says where the endpoint is: its address, node and pod', () => {
    expect(podEndpoint(pod(4), service())).to.deep.equal({
      addresses: ['10.244.0.6'],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'node-1',
      targetRef: { kind: 'Pod', namespace: 'default', name: 'web-4', uid: 'pod-4' },
    });
  });

  it('leaves out pods without an address and finished pods', () => {
    const noIp = pod(1);
    delete noIp.status?.podIP;
    expect(podEndpoint(noIp, service())).to.equal(undefined);
    const failed = pod(2);
    if (failed.status) failed.status.phase = 'Failed';
    expect(podEndpoint(failed, service())).to.equal(undefined);
  });

  it('resolves a named targetPort per pod, and puts a pod without that port in a slice without it', () => {
    const svc = service({ ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }, { name: 'admin', port: 81, protocol: 'TCP', targetPort: 9000 }] });
    expect(endpointPorts(svc, pod(1, { httpPort: 8081 }))).to.deep.equal([
      { name: 'http', port: 8081, protocol: 'TCP' },
      { name: 'admin', port: 9000, protocol: 'TCP' },
    ]);
    const groups = [...desiredGroups(svc, [pod(1), pod(2, { httpPort: null }), pod(3)]).values()];
    expect(groups.map((g) => [g.ports.map((p) => `${p.name}:${p.port}`), g.endpoints.map((e) => e.targetRef?.name)])).to.deep.equal([
      [['http:8080', 'admin:9000'], ['web-1', 'web-3']],
      [['admin:9000'], ['web-2']],
    ]);
  });

  it('spreads 250 endpoints over slices of at most 100, labelled and owned by the Service', () => {
    const svc = service({ clusterIP: 'None' });
    const plan = planSlices(svc, desiredGroups(svc, Array.from({ length: 250 }, (_, i) => pod(i))), [], newName);
    expect(plan.create.map((s) => s.endpoints.length)).to.deep.equal([100, 100, 50]);
    expect([plan.update, plan.delete]).to.deep.equal([[], []]);
    const first = plan.create[0] as EndpointSlice;
    expect(first.metadata.labels).to.deep.equal({ tier: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.berth.dev', 'service.kubernetes.io/headless': '' });
    expect(first.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
    expect(first.ports).to.deep.equal([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('writes nothing when nothing changed, and only the slice of a pod that changed', () => {
    const svc = service();
    const pods = Array.from({ length: 150 }, (_, i) => pod(i));
    const slices = stored(planSlices(svc, desiredGroups(svc, pods), [], newName).create);
    expect(planSlices(svc, desiredGroups(svc, pods), slices, newName)).to.deep.equal({ create: [], update: [], delete: [] });
    const target = slices[1]?.endpoints[0]?.targetRef?.name;
    const changed = pods.map((p) => (p.metadata.name === target ? pod(Number(target?.slice(4)), { ready: false }) : p));
    const plan = planSlices(svc, desiredGroups(svc, changed), slices, newName);
    expect(plan.update.map((s) => s.metadata.name)).to.deep.equal([slices[1]?.metadata.name]);
    expect(plan.update[0]?.metadata.resourceVersion).to.equal(slices[1]?.metadata.resourceVersion);
    expect(plan.update[0]?.endpoints.find((e) => e.targetRef?.name === target)?.conditions?.ready).to.equal(false);
    expect([plan.create, plan.delete]).to.deep.equal([[], []]);
  });

  it('puts new endpoints into a slice that changes anyway, and reuses an emptied slice rather than delete and create', () => {
    const svc = service();
    const slices = stored(planSlices(svc, desiredGroups(svc, Array.from({ length: 150 }, (_, i) => pod(i))), [], newName).create);
    // Pods of the half-full slice go, others come: they fill the slice being rewritten.
    const gone = new Set(slices[1]?.endpoints.slice(0, 10).map((e) => e.targetRef?.name));
    const pods = [...Array.from({ length: 150 }, (_, i) => pod(i)).filter((p) => !gone.has(p.metadata.name)), ...Array.from({ length: 5 }, (_, i) => pod(200 + i))];
    const plan = planSlices(svc, desiredGroups(svc, pods), slices, newName);
    expect(plan.update.map((s) => [s.metadata.name, s.endpoints.length])).to.deep.equal([[slices[1]?.metadata.name, 45]]);
    expect([plan.create, plan.delete]).to.deep.equal([[], []]);

    // Every pod goes and one with other ports comes: the old slice is reused for the new ports.
    const other = service({ ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 7070 }] });
    const moved = planSlices(other, desiredGroups(other, [pod(300)]), slices.slice(1), newName);
    expect(moved.update.map((s) => [s.metadata.name, s.ports?.[0]?.port, s.endpoints.length])).to.deep.equal([[slices[1]?.metadata.name, 7070, 1]]);
    expect([moved.create, moved.delete]).to.deep.equal([[], []]);
  });

  it('keeps one empty slice for a Service with no endpoints, and deletes the rest', () => {
    const svc = service();
    const slices = stored(planSlices(svc, desiredGroups(svc, Array.from({ length: 150 }, (_, i) => pod(i))), [], newName).create);
    const plan = planSlices(svc, desiredGroups(svc, []), slices, newName);
    expect(plan.update.map((s) => [s.endpoints.length, s.ports])).to.deep.equal([[0, []]]);
    expect(plan.delete.map((s) => s.metadata.name)).to.have.length(1);
    expect(planSlices(svc, new Map(), [], newName).create.map((s) => s.endpoints)).to.deep.equal([[]]);
  });

  it('wakes Services only for pod changes that change endpoints', () => {
    const before = pod(1);
    const heartbeat = { ...before, status: { ...before.status, startTime: '2026-01-01T00:00:09Z' } } as Pod;
    expect(podFingerprint(heartbeat)).to.equal(podFingerprint(before));
    expect(podFingerprint(pod(1, { ready: false }))).to.not.equal(podFingerprint(before));
    expect(sliceLabels(service()).tier).to.equal('front');
  });
});
