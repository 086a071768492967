import { expect } from 'chai';
import { allocateService, isAllocated, markAllocated, patchServiceUpdate } from '../../../control-plane/api/service-allocation.js';
import type { UsedClaims } from '../../../control-plane/api/service-allocation.js';
import { parseIpv4Cidr } from '../../../proto/ipv4.js';
import type { Ipv4Range } from '../../../proto/ipv4.js';
import type { Service, ServiceSpec } from '../../../proto/objects/service.js';

const range = parseIpv4Cidr('10.96.0.0/16') as Ipv4Range;
const none = (): UsedClaims => ({ ips: new Map(), nodePorts: new Map() });
/** A random source that always starts looking at the beginning of a band, so picks are predictable. */
const first = () => 0;

function svc(spec: Partial<ServiceSpec>, name = 'web'): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', uid: `${name}-uid`, generation: 1 }, spec: { type: 'ClusterIP', selector: { app: name }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], ...spec } };
}

function allocated(result: ReturnType<typeof allocateService>) {
  if (result.kind !== 'allocated') throw new Error(`expected an allocation, got ${JSON.stringify(result)}`);
  return result;
}

describe('Service allocation', () => {
  it('gives a new Service a free address above the band kept for fixed ones, and claims it', () => {
    const used = none();
    used.ips.set('10.96.1.1', 'default/other');
    const r = allocated(allocateService(svc({}), undefined, used, range, first));
    // The first 256 addresses (10.96.0.1-10.96.1.0) are kept for Services that ask for theirs; 10.96.1.1 is taken.
    expect(r.service.spec.clusterIP).to.equal('10.96.1.2');
    expect(r.service.spec.clusterIPs).to.deep.equal(['10.96.1.2']);
    expect(r.take).to.deep.equal([{ key: '/berth-internal/serviceips/10.96.1.2', owner: 'default/web' }]);
    expect(r.release).to.deep.equal([]);
  });

  it('honours a requested address if it is free, and refuses one that is taken or outside the range, naming spec.clusterIP', () => {
    expect(allocated(allocateService(svc({ clusterIP: '10.96.0.10' }), undefined, none(), range)).service.spec.clusterIP).to.equal('10.96.0.10');
    const used = none();
    used.ips.set('10.96.0.10', 'shop/db');
    const taken = allocateService(svc({ clusterIP: '10.96.0.10' }), undefined, used, range);
    expect(taken).to.deep.equal({ kind: 'invalid', errors: [{ path: 'spec.clusterIP', message: 'Invalid value: "10.96.0.10": failed to allocate IP 10.96.0.10: provided IP is already allocated (to service shop/db); leave spec.clusterIP out to get a free one' }] });
    const outside = allocateService(svc({ clusterIP: '10.0.0.10' }), undefined, none(), range);
    expect(outside).to.deep.equal({ kind: 'invalid', errors: [{ path: 'spec.clusterIP', message: 'Invalid value: "10.0.0.10": failed to allocate IP 10.0.0.10: the provided IP (10.0.0.10) is not in the valid range. The range of valid IPs is 10.96.0.0/16' }] });
    expect(allocateService(svc({ clusterIP: '10.96.255.255' }), undefined, none(), range).kind).to.equal('invalid');
  });

  it('gives a headless Service no address and an ExternalName one neither address nor claim', () => {
    const headless = allocated(allocateService(svc({ clusterIP: 'None' }), undefined, none(), range));
    expect(headless.service.spec.clusterIPs).to.deep.equal(['None']);
    expect(headless.take).to.deep.equal([]);
    const external = allocated(allocateService(svc({ type: 'ExternalName', externalName: 'db.example.com', ports: [] }), undefined, none(), range));
    expect(external.service.spec.clusterIP).to.equal(undefined);
    expect(external.take).to.deep.equal([]);
  });

  it('gives NodePort ports free node ports, sharing one between TCP and UDP of the same port', () => {
    const used = none();
    const ports = [{ name: 'dns', port: 53, protocol: 'UDP' as const }, { name: 'dns-tcp', port: 53, protocol: 'TCP' as const }, { name: 'metrics', port: 9153, protocol: 'TCP' as const }];
    const r = allocated(allocateService(svc({ type: 'NodePort', ports }), undefined, used, range, first));
    // 30000-30085 are kept for Services that ask for their port.
    expect(r.service.spec.ports?.map((p) => p.nodePort)).to.deep.equal([30086, 30086, 30087]);
    expect(r.take.map((c) => c.key)).to.deep.equal(['/berth-internal/serviceips/10.96.1.1', '/berth-internal/nodeports/30086', '/berth-internal/nodeports/30087']);
  });

  it('refuses a requested node port that another Service holds, naming the port', () => {
    const used = none();
    used.nodePorts.set(30080, 'default/other');
    const r = allocateService(svc({ type: 'LoadBalancer', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), undefined, used, range);
    expect(r).to.deep.equal({ kind: 'invalid', errors: [{ path: 'spec.ports[0].nodePort', message: 'Invalid value: 30080: provided port is already allocated (to service default/other); leave nodePort out to get a free one' }] });
  });

  it('keeps the address and node ports on an update that leaves them out, and claims nothing new', () => {
    const live = allocated(allocateService(svc({ type: 'NodePort' }), undefined, none(), range)).service;
    const next = svc({ type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 9090 }] });
    patchServiceUpdate(next, live);
    const used = none();
    markAllocated(used, live);
    const r = allocated(allocateService(next, live, used, range));
    expect(r.service.spec.clusterIP).to.equal(live.spec.clusterIP);
    expect(r.service.spec.ports?.[0]?.nodePort).to.equal(live.spec.ports?.[0]?.nodePort);
    expect([r.take, r.release]).to.deep.equal([[], []]);
  });

  it('releases the node ports when a NodePort Service becomes ClusterIP, and the address when it becomes ExternalName', () => {
    const live = allocated(allocateService(svc({ type: 'NodePort' }), undefined, none(), range)).service;
    const port = live.spec.ports?.[0]?.nodePort as number;
    const clusterIp: Service = { ...structuredClone(live), spec: { ...structuredClone(live.spec), type: 'ClusterIP' } };
    patchServiceUpdate(clusterIp, live);
    const r = allocated(allocateService(clusterIp, live, none(), range));
    expect(r.service.spec.ports?.[0]?.nodePort).to.equal(undefined);
    expect(r.release).to.deep.equal([{ key: `/berth-internal/nodeports/${port}`, owner: 'default/web' }]);
    const external: Service = { ...structuredClone(live), spec: { ...structuredClone(live.spec), type: 'ExternalName', externalName: 'db.example.com' } };
    patchServiceUpdate(external, live);
    const e = allocated(allocateService(external, live, none(), range));
    expect(e.service.spec.clusterIP).to.equal(undefined);
    expect(e.release.map((c) => c.key)).to.have.members([`/berth-internal/serviceips/${live.spec.clusterIP}`, `/berth-internal/nodeports/${port}`]);
  });

  it('drops the load balancer ingress of a Service that is no longer a LoadBalancer', () => {
    const live = { ...allocated(allocateService(svc({ type: 'LoadBalancer' }), undefined, none(), range)).service, status: { loadBalancer: { ingress: [{ ip: '10.213.0.2' }] } } };
    const next = { ...live, spec: { ...live.spec, type: 'NodePort' as const } };
    expect(allocated(allocateService(next, live, none(), range)).service.status).to.equal(undefined);
  });

  it('says the range is full when it is', () => {
    const tiny = parseIpv4Cidr('10.96.0.0/30') as Ipv4Range;
    const used = none();
    used.ips.set('10.96.0.1', 'default/a');
    used.ips.set('10.96.0.2', 'default/b');
    expect(allocateService(svc({}), undefined, used, tiny)).to.deep.equal({ kind: 'invalid', errors: [{ path: 'spec.clusterIP', message: 'Internal error: failed to allocate a service IP: the range 10.96.0.0/30 is full' }] });
  });

  it('tells a stored Service that has all it needs from one that lacks an address or a node port', () => {
    expect(isAllocated(allocated(allocateService(svc({ type: 'NodePort' }), undefined, none(), range)).service)).to.equal(true);
    expect(isAllocated(allocated(allocateService(svc({ clusterIP: 'None' }), undefined, none(), range)).service)).to.equal(true);
    expect(isAllocated(svc({}))).to.equal(false);
    expect(isAllocated(svc({ type: 'NodePort', clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9'] }))).to.equal(false);
  });

  it('never gives two Services of one apply the same address once the first is marked', () => {
    const used = none();
    const a = allocated(allocateService(svc({}, 'a'), undefined, used, range, first)).service;
    markAllocated(used, a);
    const b = allocated(allocateService(svc({}, 'b'), undefined, used, range, first)).service;
    expect(b.spec.clusterIP).to.not.equal(a.spec.clusterIP);
  });
});
