import { expect } from 'chai';
import type { TxnOutcome } from '../../../control-plane/store/etcd-txn.js';
import { guardHolds, MAX_TXN_OPS } from '../../../control-plane/store/guarded-change.js';
import type { GuardedChange, StoredValue } from '../../../control-plane/store/guarded-change.js';
import { commitChanges } from '../../../control-plane/store/guarded-commit.js';

/**
 * The packing and retry rules of the store's one guarded write, against a key-value map that
 * evaluates guards and writes the way an etcd transaction does (the same rules run against a real
 * etcd in test/integration/store/guarded-commit.test.ts).
 */
class KeyValueTxns {
  readonly data = new Map<string, StoredValue>();
  revision = 1;
  readonly sent: GuardedChange[] = [];
  failNext = false;

  seed(key: string, value = 'v'): string {
    this.revision++;
    this.data.set(key, { key, value: Buffer.from(value), modRevision: String(this.revision) });
    return String(this.revision);
  }

  transact = async (change: GuardedChange): Promise<TxnOutcome> => {
    this.sent.push(change);
    if (this.failNext) {
      this.failNext = false;
      throw new Error('etcd is unavailable');
    }
    const committed = change.guards.every((g) => guardHolds(g, this.data.get(g.key)));
    if (!committed) return { committed, revision: String(this.revision), current: new Map(change.guards.map((g) => [g.key, this.data.get(g.key)])) };
    this.revision++;
    for (const w of change.writes) {
      if ('delete' in w) this.data.delete(w.key);
      else this.data.set(w.key, { key: w.key, value: Buffer.from(w.put), modRevision: String(this.revision) });
    }
    return { committed, revision: String(this.revision), current: new Map() };
  };
}

const update = (key: string, revision: string, value = 'new'): GuardedChange => ({ guards: [{ key, expect: 'revision', revision }], writes: [{ key, put: value }] });
const create = (key: string): GuardedChange => ({ guards: [{ key, expect: 'absent' }], writes: [{ key, put: 'created' }] });

describe('store: commitChanges (the one guarded write)', () => {
  it('packs independent changes into as few transactions as etcd allows', async () => {
    const kv = new KeyValueTxns();
    const changes = Array.from({ length: 300 }, (_, i) => create(`/k/${i}`));
    const results = await commitChanges(kv.transact, changes);
    expect(results.every((r) => r.kind === 'committed')).to.equal(true);
    expect(kv.sent).to.have.length(Math.ceil(300 / MAX_TXN_OPS));
    expect(kv.sent.every((t) => t.guards.length <= MAX_TXN_OPS && t.writes.length <= MAX_TXN_OPS)).to.equal(true);
  });

  it('lets one stale change fail alone: the others are written, the stale one gets what is there now', async () => {
    const kv = new KeyValueTxns();
    const revs = ['/a', '/b', '/c'].map((k) => kv.seed(k));
    kv.seed('/b', 'changed by someone else');
    const results = await commitChanges(kv.transact, [update('/a', revs[0] as string), update('/b', revs[1] as string), update('/c', revs[2] as string)]);
    expect(results.map((r) => r.kind)).to.deep.equal(['committed', 'conflict', 'committed']);
    const conflict = results[1];
    expect(conflict?.kind === 'conflict' && conflict.current[0]?.value.toString()).to.equal('changed by someone else');
    expect(kv.data.get('/b')?.value.toString()).to.equal('changed by someone else');
    expect(kv.data.get('/a')?.value.toString()).to.equal('new');
  });

  it('never puts two changes of one key in one transaction: the second sees the first and conflicts', async () => {
    const kv = new KeyValueTxns();
    const rev = kv.seed('/x');
    const results = await commitChanges(kv.transact, [update('/x', rev, 'first'), update('/x', rev, 'second')]);
    expect(results.map((r) => r.kind).sort()).to.deep.equal(['committed', 'conflict']);
    expect(kv.sent.every((t) => new Set(t.writes.map((w) => w.key)).size === t.writes.length)).to.equal(true);
  });

  it('shares one "present" guard between creates in the same namespace, and fails only those whose namespace is gone', async () => {
    const kv = new KeyValueTxns();
    kv.seed('/ns/a');
    const inNamespace = (key: string, ns: string): GuardedChange => ({ guards: [{ key, expect: 'absent' }, { key: ns, expect: 'present' }], writes: [{ key, put: 'x' }] });
    const results = await commitChanges(kv.transact, [inNamespace('/p/1', '/ns/a'), inNamespace('/p/2', '/ns/a'), inNamespace('/p/3', '/ns/missing')]);
    expect(results.map((r) => r.kind)).to.deep.equal(['committed', 'committed', 'conflict']);
    expect(kv.sent[0]?.guards.filter((g) => g.key === '/ns/a')).to.have.length(1);
  });

  it('reports an etcd failure as an error result for the changes it hit, and never throws', async () => {
    const kv = new KeyValueTxns();
    kv.failNext = true;
    const results = await commitChanges(kv.transact, [create('/e/1'), create('/e/2')]);
    expect(results.map((r) => r.kind)).to.deep.equal(['error', 'error']);
    expect(kv.data.size).to.equal(0);
  });

  it('confirms an unchanged read without writing (a guard with no write)', async () => {
    const kv = new KeyValueTxns();
    const rev = kv.seed('/r');
    const results = await commitChanges(kv.transact, [{ guards: [{ key: '/r', expect: 'revision', revision: rev }], writes: [] }]);
    expect(results[0]?.kind).to.equal('committed');
    expect(kv.data.get('/r')?.modRevision).to.equal(rev);
  });
});
