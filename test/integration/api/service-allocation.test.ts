import { expect } from 'chai';
import { ClusterClient } from '../../../cli/client.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { parseIpv4Cidr } from '../../../proto/ipv4.js';
import type { Ipv4Range } from '../../../proto/ipv4.js';
import type { EndpointSlice } from '../../../proto/objects/discovery.js';
import type { Service } from '../../../proto/objects/service.js';
import { startTestControlPlane, useControlPlaneWithClients } from '../../support/control-plane.js';
import type { TestControlPlane } from '../../support/control-plane.js';
import { testClusterClient } from '../../support/test-pki.js';

function manifest(name: string, spec: Record<string, unknown> = {}, namespace?: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, ...(namespace ? { namespace } : {}) }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...spec } };
}

describe('Service allocation through ClusterAPI, on a real etcd', function () {
  this.timeout(60_000);
  let cp: TestControlPlane;
  let client: ClusterClient;
  let etcd: EtcdClient;

  useControlPlaneWithClients((started) => ({ cp, client, etcd } = started));

  const apply = (...objects: Record<string, unknown>[]) => client.apply({ documents: objects.map((o, i) => ({ source: 'svc.yaml', index: i + 1, json: JSON.stringify(o) })) });
  const get = async (name: string, namespace = 'default') => (await client.get('services', namespace, name)) as Service;
  const claims = async (prefix: string) => etcd.getAll().prefix(`/berth-internal/${prefix}/`).strings();

  it('has made the kubernetes Service at start: the first address, 443 to the control plane, and its EndpointSlice', async () => {
    const svc = await get('kubernetes');
    expect(svc.spec.clusterIP).to.equal('10.96.0.1');
    expect(svc.spec.ports).to.deep.equal([{ name: 'https', port: 443, protocol: 'TCP', targetPort: cp.controlPlane.port }]);
    const slice = (await client.get('endpointslices', 'default', 'kubernetes')) as EndpointSlice;
    expect(slice.endpoints.map((e) => e.addresses)).to.deep.equal([['127.0.0.1']]);
    expect(slice.ports).to.deep.equal([{ name: 'https', port: cp.controlPlane.port, protocol: 'TCP' }]);
    expect(await claims('serviceips')).to.deep.include({ '/berth-internal/serviceips/10.96.0.1': 'default/kubernetes' });
  });

  it('never gives two Services created at the same time the same address, even in a small range', async () => {
    // 62 addresses: concurrent creators often pick the same one, and the claim's guard decides.
    const small = await startTestControlPlane({ runControllers: false, serviceClusterIpRange: parseIpv4Cidr('10.97.0.0/26') as Ipv4Range });
    const clients = [await testClusterClient(small.server), await testClusterClient(small.server), await testClusterClient(small.server)];
    try {
      const names = Array.from({ length: 45 }, (_, i) => `race-${i}`);
      const results = await Promise.all(names.map((name, i) => (clients[i % 3] as ClusterClient).apply({ documents: [{ source: 'svc.yaml', index: 1, json: JSON.stringify(manifest(name)) }] })));
      expect(results.flatMap((r) => r.errors)).to.deep.equal([]);
      const ips = await Promise.all(names.map(async (n) => ((await (clients[0] as ClusterClient).get('services', 'default', n)) as Service).spec.clusterIP));
      expect(new Set([...ips, '10.97.0.1']).size).to.equal(names.length + 1);
      const client = connectEtcd([small.etcd.endpoint]);
      try {
        const held = await client.getAll().prefix('/berth-internal/serviceips/').strings();
        expect(Object.keys(held)).to.have.length(names.length + 1);
        for (const [i, name] of names.entries()) expect(held[`/berth-internal/serviceips/${ips[i]}`]).to.equal(`default/${name}`);
      } finally {
        client.close();
      }
      // Two Services asking for the same address at the same time: one gets it, the other is told why.
      const pair = await Promise.all(clients.slice(0, 2).map((c, i) => c.apply({ documents: [{ source: 'svc.yaml', index: 1, json: JSON.stringify(manifest(`twin-${i}`, { clusterIP: '10.97.0.5' })) }] })));
      expect(pair.map((r) => r.errors.length).sort()).to.deep.equal([0, 1]);
      expect(pair.flatMap((r) => r.errors)[0]?.message).to.contain('provided IP is already allocated');
    } finally {
      for (const c of clients) c.close();
      await small.stop();
    }
  });

  it('honours a requested address, refuses it to a second Service naming spec.clusterIP, and writes nothing of that apply', async () => {
    expect((await apply(manifest('fixed', { clusterIP: '10.96.0.53' }))).errors).to.deep.equal([]);
    expect((await get('fixed')).spec.clusterIPs).to.deep.equal(['10.96.0.53']);
    const before = await claims('serviceips');
    const res = await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'untouched' } }, manifest('thief', { clusterIP: '10.96.0.53' }));
    expect(res.results).to.deep.equal([]);
    expect(res.errors.map((e) => [e.kind, e.path, e.message])).to.deep.equal([
      ['Service/thief', 'spec.clusterIP', 'Invalid value: "10.96.0.53": failed to allocate IP 10.96.0.53: provided IP is already allocated (to service default/fixed); leave spec.clusterIP out to get a free one'],
    ]);
    expect((await client.list({ resource: 'namespaces' })).items.map((n) => n.metadata.name)).to.not.include('untouched');
    expect(await claims('serviceips')).to.deep.equal(before);
    const outside = await apply(manifest('outside', { clusterIP: '10.0.0.53' }));
    expect(outside.errors[0]?.message).to.contain('is not in the valid range. The range of valid IPs is 10.96.0.0/16');
  });

  it('gives NodePort and LoadBalancer Services node ports, keeps them across an update, and refuses a taken one', async () => {
    const lb = await apply(manifest('shop', { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }, { name: 'admin', port: 81 }] }));
    expect(lb.errors).to.deep.equal([]);
    const shop = await get('shop');
    const adminPort = shop.spec.ports?.[1]?.nodePort as number;
    expect(adminPort).to.be.within(30000, 32767);
    // The same manifest again, without the allocated admin node port: nothing changes.
    const again = await apply(manifest('shop', { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }, { name: 'admin', port: 81 }] }));
    expect(again.results.map((r) => r.action)).to.deep.equal(['UNCHANGED']);
    const taken = await apply(manifest('copycat', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }));
    expect(taken.errors.map((e) => [e.path, e.message])).to.deep.equal([['spec.ports[0].nodePort', 'Invalid value: 30080: provided port is already allocated (to service default/shop); leave nodePort out to get a free one']]);
    expect(await claims('nodeports')).to.deep.include({ '/berth-internal/nodeports/30080': 'default/shop', [`/berth-internal/nodeports/${adminPort}`]: 'default/shop' });

    // Back to ClusterIP: the node ports go, the address stays.
    expect((await apply(manifest('shop', { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'admin', port: 81 }] }))).errors).to.deep.equal([]);
    const after = await get('shop');
    expect(after.spec.clusterIP).to.equal(shop.spec.clusterIP);
    expect(after.spec.ports?.map((p) => p.nodePort)).to.deep.equal([undefined, undefined]);
    expect(Object.keys(await claims('nodeports'))).to.not.include.members(['/berth-internal/nodeports/30080', `/berth-internal/nodeports/${adminPort}`]);
  });

  it('refuses to change an allocated clusterIP, and gives a headless Service none', async () => {
    const ip = (await get('fixed')).spec.clusterIP;
    const res = await apply(manifest('fixed', { clusterIP: '10.96.0.54' }));
    expect(res.errors.map((e) => [e.path, e.message])).to.deep.equal([['spec.clusterIP', 'Invalid value: "10.96.0.54": field is immutable']]);
    expect((await get('fixed')).spec.clusterIP).to.equal(ip);
    expect((await apply(manifest('headless', { clusterIP: 'None' }))).errors).to.deep.equal([]);
    expect((await get('headless')).spec.clusterIPs).to.deep.equal(['None']);
  });

  it('allocates and releases node ports when a patch changes the type, and refuses a patch to a taken address', async () => {
    expect((await apply(manifest('patched'))).errors).to.deep.equal([]);
    const ip = (await get('patched')).spec.clusterIP;
    const nodePort = (await client.patch('services', 'default', 'patched', { spec: { type: 'NodePort' } })) as Service;
    const port = nodePort.spec.ports?.[0]?.nodePort as number;
    expect(port).to.be.within(30000, 32767);
    expect(nodePort.spec.clusterIP).to.equal(ip);
    expect(await claims('nodeports')).to.have.property(`/berth-internal/nodeports/${port}`, 'default/patched');
    const back = (await client.patch('services', 'default', 'patched', { spec: { type: 'ClusterIP' } })) as Service;
    expect(back.spec.ports?.[0]?.nodePort).to.equal(undefined);
    expect(await claims('nodeports')).to.not.have.property(`/berth-internal/nodeports/${port}`);
    expect((await apply(manifest('holder', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30090 }] }))).errors).to.deep.equal([]);
    let refused: Error | undefined;
    await client.patch('services', 'default', 'patched', { spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30090 }] } }).catch((err: Error) => (refused = err));
    expect(refused?.message).to.contain('spec.ports[0].nodePort: Invalid value: 30090: provided port is already allocated (to service default/holder)');
    expect((await get('patched')).spec.type).to.equal('ClusterIP');
  });

  it('releases the address and node ports on delete, and with a deleted namespace, so another Service can have them', async () => {
    expect((await apply(manifest('gone', { type: 'NodePort', clusterIP: '10.96.0.77', ports: [{ name: 'http', port: 80, nodePort: 31777 }] }))).errors).to.deep.equal([]);
    await client.delete('services', 'default', 'gone');
    expect(await claims('serviceips')).to.not.have.property('/berth-internal/serviceips/10.96.0.77');
    expect(await claims('nodeports')).to.not.have.property('/berth-internal/nodeports/31777');
    expect((await apply(manifest('heir', { type: 'NodePort', clusterIP: '10.96.0.77', ports: [{ name: 'http', port: 80, nodePort: 31777 }] }))).errors).to.deep.equal([]);

    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'temp' } }, manifest('temp-svc', { clusterIP: '10.96.0.78' }, 'temp'));
    expect(await claims('serviceips')).to.have.property('/berth-internal/serviceips/10.96.0.78', 'temp/temp-svc');
    await client.delete('namespaces', '', 'temp');
    expect(await claims('serviceips')).to.not.have.property('/berth-internal/serviceips/10.96.0.78');
  });
});
