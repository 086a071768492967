import { expect } from 'chai';
import { commitAtomically } from '../../../control-plane/store/atomic-commit.js';
import type { AtomicWrite } from '../../../control-plane/store/atomic-commit.js';
import { encodeObject } from '../../../control-plane/store/codec.js';
import { createObject, deleteObject, updateObject } from '../../../control-plane/store/guarded-change.js';
import type { GuardedChange } from '../../../control-plane/store/guarded-change.js';
import type { TxnOutcome } from '../../../control-plane/store/etcd-txn.js';
import { objectKey, RESOURCE } from '../../../proto/resources.js';
import type { BerthObject } from '../../../proto/objects/meta.js';
import { useEtcdStore } from '../../support/etcd.js';
import type { EtcdStore } from '../../support/etcd.js';

const pods = RESOURCE.pods;
const pod = (name: string, note = ''): BerthObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { note } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

/** A create, undone by deleting it again. */
const create = (object: BerthObject): AtomicWrite => ({ change: createObject(pods, object), undo: (revision) => deleteObject(pods, 'default', object.metadata.name, revision) });
/** An update of `live`, undone by putting `live` back. */
const update = (live: BerthObject, note: string): AtomicWrite => ({
  change: updateObject(pods, { ...live, metadata: { ...live.metadata, labels: { note } } }),
  undo: (revision) => {
    const key = objectKey(pods, 'default', live.metadata.name);
    return { guards: [{ key, expect: 'revision', revision }], writes: [{ key, put: encodeObject(live) }] };
  },
});

describe('commitAtomically: many transactions, all or nothing, on a real etcd', function () {
  this.timeout(60_000);
  let env: EtcdStore;
  useEtcdStore((e) => (env = e), { emptyAfterEach: true });

  const contents = async (): Promise<Record<string, string>> => env.client.getAll().prefix('/berth/').strings();
  const transact = (change: GuardedChange): Promise<TxnOutcome> => env.store.transact(change);

  async function existing(count: number): Promise<BerthObject[]> {
    return Promise.all(Array.from({ length: count }, (_, i) => env.store.create(pods, pod(`old-${i}`, 'before'))));
  }

  it('writes 500 changes in several transactions when none conflicts', async () => {
    const live = await existing(100);
    const writes = [...live.map((p) => update(p, 'after')), ...Array.from({ length: 400 }, (_, i) => create(pod(`new-${i}`)))];
    const outcome = await commitAtomically(transact, writes);
    expect(outcome.kind).to.equal('committed');
    if (outcome.kind === 'committed') expect(new Set(outcome.revisions).size).to.be.greaterThan(1, 'more than one transaction');
    const after = await contents();
    expect(Object.keys(after)).to.have.length(500);
    expect((await env.store.get(pods, 'default', 'old-99')).metadata.labels).to.deep.equal({ note: 'after' });
  });

  it('leaves etcd as it was when the last of 500 changes conflicts: the transactions before it are undone', async () => {
    const live = await existing(100);
    await env.store.create(pods, pod('new-399', 'someone else'));
    const before = await contents();
    const writes = [...live.map((p) => update(p, 'after')), ...Array.from({ length: 400 }, (_, i) => create(pod(`new-${i}`)))];
    expect(await commitAtomically(transact, writes)).to.deep.equal({ kind: 'conflict' });
    expect(await contents()).to.deep.equal(before);
  });

  it('undoes what it wrote when etcd fails part-way, and reports the failure', async () => {
    const before = await contents();
    let calls = 0;
    const failing = (change: GuardedChange): Promise<TxnOutcome> => (++calls === 3 ? Promise.reject(new Error('etcd went away')) : transact(change));
    const outcome = await commitAtomically(failing, Array.from({ length: 300 }, (_, i) => create(pod(`new-${i}`))));
    expect(outcome.kind).to.equal('error');
    if (outcome.kind === 'error') {
      expect((outcome.error as Error).message).to.equal('etcd went away');
      expect(outcome.leftBehind).to.deep.equal([]);
    }
    expect(await contents()).to.deep.equal(before);
  });

  it('names the writes it could not undo because someone changed them since, and undoes the rest', async () => {
    let calls = 0;
    const racing = async (change: GuardedChange): Promise<TxnOutcome> => {
      // Before the third transaction, another writer (a controller) updates new-5, written by the first.
      if (++calls === 3) {
        const moved = await env.store.get(pods, 'default', 'new-5');
        await env.store.update(pods, { ...moved, metadata: { ...moved.metadata, labels: { note: 'controller' } } });
        await env.store.create(pods, pod('new-299', 'someone else'));
      }
      return transact(change);
    };
    const outcome = await commitAtomically(racing, Array.from({ length: 300 }, (_, i) => create(pod(`new-${i}`))));
    expect(outcome.kind).to.equal('error');
    if (outcome.kind === 'error') expect(outcome.leftBehind).to.deep.equal([5]);
    expect(Object.keys(await contents()).sort()).to.deep.equal(['/berth/pods/default/new-299', '/berth/pods/default/new-5']);
  });
});
