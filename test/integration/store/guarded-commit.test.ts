import { expect } from 'chai';
import { StoreUnavailableError } from '../../../control-plane/errors.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { combine, createObject, decodeStored, updateObject } from '../../../control-plane/store/guarded-change.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { BerthObject } from '../../../proto/objects/meta.js';
import { RESOURCE } from '../../../proto/resources.js';
import { useEtcdStore } from '../../support/etcd.js';
import type { EtcdStore } from '../../support/etcd.js';
import { freePort } from '../../support/ports.js';
import { eventually } from '../../support/wait.js';

const pods = RESOURCE.pods;
const pod = (name: string, note = ''): BerthObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { note } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

describe('ObjectStore guarded writes, leases and errors on a real etcd', function () {
  this.timeout(30_000);
  let env: EtcdStore;
  useEtcdStore((e) => (env = e), { emptyAfterEach: true });

  it('group-commits 300 updates in a few transactions, and a stale one fails alone with the pod as it is now', async () => {
    const { store } = env;
    const stored = await Promise.all(Array.from({ length: 300 }, (_, i) => store.create(pods, pod(`p-${i}`))));
    const stale = stored[7] as BerthObject;
    await store.update(pods, { ...stale, metadata: { ...stale.metadata, labels: { note: 'someone else' } } });
    const results = await store.commit(stored.map((p) => updateObject(pods, { ...p, metadata: { ...p.metadata, labels: { note: 'batch' } } })));
    const committed = results.filter((r) => r.kind === 'committed');
    expect(committed).to.have.length(299);
    // Each transaction commits at one revision: 299 writes in at most a handful of round trips.
    expect(new Set(committed.map((r) => (r.kind === 'committed' ? r.revision : ''))).size).to.be.at.most(5);
    const conflict = results[7];
    expect(conflict?.kind).to.equal('conflict');
    if (conflict?.kind === 'conflict') expect(decodeStored(conflict.current[0] as never).metadata.labels).to.deep.equal({ note: 'someone else' });
    expect((await store.get(pods, 'default', 'p-7')).metadata.labels).to.deep.equal({ note: 'someone else' });
    expect((await store.get(pods, 'default', 'p-299')).metadata.labels).to.deep.equal({ note: 'batch' });
  });

  it('writes several keys together or not at all: a taken key fails the whole change', async () => {
    const { store } = env;
    await store.create(pods, pod('taken'));
    const outcome = await store.transact(combine([createObject(pods, pod('fresh')), createObject(pods, pod('taken'))]));
    expect(outcome.committed).to.equal(false);
    expect(await store.tryGet(pods, 'default', 'fresh')).to.equal(undefined);
  });

  it('binds keys to a lease that vanishes when the lease is revoked', async () => {
    const { store } = env;
    const lease = store.lease(30, { keepAlive: false });
    const id = await lease.grant();
    await store.transact(createObject(pods, pod('leased'), id));
    expect(await store.tryGet(pods, 'default', 'leased')).to.not.equal(undefined);
    await lease.revoke();
    expect(await store.tryGet(pods, 'default', 'leased')).to.equal(undefined);
  });

  it('grants a lease again after a grant failed while etcd was down', async () => {
    const { store, etcd } = env;
    const lease = store.lease(30, { keepAlive: false });
    await etcd.etcd.kill();
    try {
      await lease.grant().then(
        () => expect.fail('granted with etcd down'),
        (err: unknown) => expect(err).to.be.instanceOf(StoreUnavailableError),
      );
    } finally {
      await etcd.etcd.restart();
    }
    // The client's circuit breaker, opened by the failures, lets calls through again after its
    // half-open delay (1 s): until then a grant fails fast, which is no fault of the lease. What
    // must hold is that the same lease is granted once etcd answers again.
    expect(await eventually(() => lease.grant(), 5_000, 100)).to.match(/^\d+$/);
  });

  it('classifies an unreachable etcd by type: StoreUnavailableError with the cause, and error results from commit', async () => {
    const client = connectEtcd([`127.0.0.1:${await freePort()}`]);
    const store = new ObjectStore(client);
    try {
      const err = await store.get(pods, 'default', 'x').then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(StoreUnavailableError);
      expect((err as Error).cause).to.be.instanceOf(Error);
      const [result] = await store.commit([createObject(pods, pod('x'))]);
      expect(result?.kind).to.equal('error');
      expect(result?.kind === 'error' && result.error).to.be.instanceOf(StoreUnavailableError);
    } finally {
      client.close();
    }
  });
});
