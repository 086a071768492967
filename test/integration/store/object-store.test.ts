import { expect } from 'chai';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../../../control-plane/errors.js';
import type { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { BerthObject } from '../../../proto/objects/meta.js';
import { RESOURCE } from '../../../proto/resources.js';
import { useEtcdStore } from '../../support/etcd.js';

const pods = RESOURCE.pods;
const nodes = RESOURCE.nodes;

function pod(name: string, namespace = 'default', labels: Record<string, string> = {}): BerthObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
}

describe('ObjectStore on a real etcd', function () {
  this.timeout(30_000);
  let client: EtcdClient;
  let store: ObjectStore;

  useEtcdStore((env) => ({ client, store } = env));

  it('stores one key per object under /berth/<resource>/<namespace>/<name>', async () => {
    await store.create(pods, pod('layout', 'team-a'));
    await store.create(nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {} });
    const keys = (await client.getAll().prefix('/berth/').keys()).sort();
    expect(keys).to.include.members(['/berth/pods/team-a/layout', '/berth/nodes/n1']);
  });

  it('derives resourceVersion from the key mod_revision and never stores it', async () => {
    const created = await store.create(pods, pod('rv'));
    const raw = await client.get('/berth/pods/default/rv').exec();
    expect(created.metadata.resourceVersion).to.equal(String(raw.kvs[0]?.mod_revision));
    expect(JSON.parse(raw.kvs[0]?.value.toString() ?? '{}').metadata).to.not.have.property('resourceVersion');
    expect((await store.get(pods, 'default', 'rv')).metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
  });

  it('refuses to create an object twice', async () => {
    await store.create(pods, pod('twice'));
    try {
      await store.create(pods, pod('twice'));
      expect.fail('second create succeeded');
    } catch (err) {
      expect(err).to.be.instanceOf(AlreadyExistsError);
    }
  });

  it('fails a stale update with a conflict and keeps the newer write', async () => {
    const first = await store.create(pods, pod('stale'));
    const a = { ...first, metadata: { ...first.metadata, labels: { writer: 'a' } } };
    const b = { ...first, metadata: { ...first.metadata, labels: { writer: 'b' } } };
    await store.update(pods, a);
    try {
      await store.update(pods, b);
      expect.fail('stale update succeeded');
    } catch (err) {
      expect(err).to.be.instanceOf(ConflictError);
    }
    expect((await store.get(pods, 'default', 'stale')).metadata.labels).to.deep.equal({ writer: 'a' });
  });

  it('loses no update when many writers change the same object at once', async () => {
    await store.create(pods, { ...pod('counter'), metadata: { name: 'counter', namespace: 'default', annotations: { count: '0' } } });
    const increment = () =>
      store.guaranteedUpdate(pods, 'default', 'counter', (current) => {
        const count = Number(current.metadata.annotations?.count ?? '0');
        current.metadata.annotations = { count: String(count + 1) };
        return current;
      });
    await Promise.all(Array.from({ length: 25 }, increment));
    expect((await store.get(pods, 'default', 'counter')).metadata.annotations?.count).to.equal('25');
  });

  it('deletes only at the expected resourceVersion when one is given', async () => {
    const created = await store.create(pods, pod('guarded-delete'));
    await store.update(pods, { ...created, metadata: { ...created.metadata, labels: { changed: 'yes' } } });
    try {
      await store.delete(pods, 'default', 'guarded-delete', created.metadata.resourceVersion);
      expect.fail('delete at a stale revision succeeded');
    } catch (err) {
      expect(err).to.be.instanceOf(ConflictError);
    }
    const deleted = await store.delete(pods, 'default', 'guarded-delete');
    expect(deleted.metadata.labels).to.deep.equal({ changed: 'yes' });
    try {
      await store.get(pods, 'default', 'guarded-delete');
      expect.fail('object still there');
    } catch (err) {
      expect(err).to.be.instanceOf(NotFoundError);
    }
  });

  it('lists one namespace or all of them at one revision', async () => {
    await store.create(pods, pod('list-1', 'list-a'));
    await store.create(pods, pod('list-2', 'list-b'));
    const one = await store.list(pods, 'list-a');
    expect(one.items.map((p) => p.metadata.name)).to.deep.equal(['list-1']);
    const all = await store.list(pods);
    expect(all.items.map((p) => p.metadata.name)).to.include.members(['list-1', 'list-2']);
    expect(Number(all.revision)).to.be.at.least(Math.max(...all.items.map((p) => Number(p.metadata.resourceVersion))));
  });
});
