import { expect } from 'chai';
import { ClusterClient } from '../../../cli/client.js';
import type { ConfigMap } from '../../../proto/objects/config.js';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { useControlPlaneWithClients } from '../../support/control-plane.js';
import type { TestControlPlane } from '../../support/control-plane.js';
import { etcdContents } from '../../support/etcd-contents.js';

const configMap = (name: string, data: Record<string, string> = { key: 'value' }, annotations?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'big', ...(annotations ? { annotations } : {}) },
  data,
});
const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'big' } };

describe('apply is all or nothing at any size, on a real control plane', function () {
  this.timeout(120_000);
  let cp: TestControlPlane;
  let client: ClusterClient;
  let etcd: EtcdClient;

  useControlPlaneWithClients((started) => ({ cp, client, etcd } = started));

  const applyFile = (objects: unknown[]) => client.apply({ documents: objects.map((o, i) => ({ source: 'many.yaml', index: i + 1, json: JSON.stringify(o) })) });

  it('writes nothing of 500 documents when the last would be larger than etcd takes, and names its largest field', async () => {
    const before = await etcdContents(etcd);
    // 900 KiB of data: under etcd's 1.5 MiB request limit as written, twice that with the copy apply keeps.
    const objects = [NAMESPACE, ...Array.from({ length: 498 }, (_, i) => configMap(`cm-${i}`)), configMap('huge', { big: 'x'.repeat(900 * 1024) })];
    const res = await applyFile(objects);
    expect(res.results).to.deep.equal([]);
    expect(res.errors.map((e) => [e.index, e.kind, e.path])).to.deep.equal([[500, 'ConfigMap/huge', 'data.big']]);
    expect(res.errors[0]?.message).to.match(/^Too long: the object would be stored as \d+ bytes \(with the copy of the manifest in the berth\.dev\/last-applied-configuration annotation\), over the limit of 1048576/);
    expect(await etcdContents(etcd)).to.deep.equal(before);
  });

  it('writes nothing of 500 documents when the last has annotations over 256 KiB', async () => {
    const before = await etcdContents(etcd);
    const objects = [NAMESPACE, ...Array.from({ length: 498 }, (_, i) => configMap(`cm-${i}`)), configMap('noted', {}, { note: 'n'.repeat(257 * 1024) })];
    const res = await applyFile(objects);
    expect(res.errors.map((e) => [e.index, e.path])).to.deep.equal([[500, 'metadata.annotations']]);
    expect(await etcdContents(etcd)).to.deep.equal(before);
  });

  it('writes all of 500 documents (more than one transaction holds), then updates them all in one apply', async () => {
    const objects = [NAMESPACE, ...Array.from({ length: 499 }, (_, i) => configMap(`cm-${i}`, { key: 'x'.repeat(4000) }))];
    const created = await applyFile(objects);
    expect(created.errors).to.deep.equal([]);
    expect(created.results.filter((r) => r.action === 'CREATED')).to.have.length(500);
    const { items } = await client.list({ resource: 'configmaps', namespace: 'big' });
    expect(items).to.have.length(499);

    const updated = await applyFile([NAMESPACE, ...Array.from({ length: 499 }, (_, i) => configMap(`cm-${i}`, { key: 'changed' }))]);
    expect(updated.results.filter((r) => r.action === 'CONFIGURED')).to.have.length(499);
    expect(((await client.get('configmaps', 'big', 'cm-498')) as ConfigMap).data).to.deep.equal({ key: 'changed' });
  });

  it('applies the last document of an object named twice', async () => {
    const res = await applyFile([configMap('twice', { a: '1' }), configMap('twice', { a: '2' })]);
    expect(res.errors).to.deep.equal([]);
    expect(res.results.map((r) => r.action)).to.deep.equal(['CREATED', 'CREATED']);
    expect(((await client.get('configmaps', 'big', 'twice')) as ConfigMap).data).to.deep.equal({ a: '2' });
  });
});
