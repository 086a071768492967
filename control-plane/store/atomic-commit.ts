import { combine, MAX_TXN_OPS, MAX_TXN_VALUE_BYTES } from './guarded-change.js';
import type { GuardedChange } from './guarded-change.js';
import type { TxnOutcome } from './etcd-txn.js';

/** AtomicWrite is one change of a write that must happen entirely or not at all, with how to take it back. */
export interface AtomicWrite {
  change: GuardedChange;
  /** undo restores what `change` replaced, guarded on the revision `change` was committed at. */
  undo: (revision: string) => GuardedChange;
}

/**
 * AtomicOutcome says what became of a whole set of AtomicWrites:
 * - committed: all written; `revisions[i]` is the revision write i was committed at;
 * - conflict: a guard failed, and nothing is left written (transactions already committed were undone);
 * - error: etcd failed; `leftBehind` lists the writes that are still written because their undo
 *   failed too (empty: nothing is left written).
 */
export type AtomicOutcome =
  | { kind: 'committed'; revisions: string[] }
  | { kind: 'conflict' }
  | { kind: 'error'; error: unknown; leftBehind: number[] };

/**
 * commitAtomically writes every change or none. Changes that fit etcd's limits together go in one
 * transaction, which is atomic by itself. More (a file of hundreds of documents) go in several
 * transactions in order; when one fails, the ones already committed are undone, each undo guarded
 * on the revision it wrote, so nothing is left of the failed write. Everything etcd refuses by
 * size must be refused before calling this (see MAX_OBJECT_BYTES): what can still fail here is a
 * concurrent writer (a conflict) or etcd itself. Watchers may see the earlier transactions of a
 * multi-transaction write come and go.
 */
export async function commitAtomically(transact: (change: GuardedChange) => Promise<TxnOutcome>, writes: readonly AtomicWrite[]): Promise<AtomicOutcome> {
  const revisions: string[] = new Array<string>(writes.length);
  const committed: number[] = [];
  for (const members of packInOrder(writes.map((w) => w.change))) {
    let failure: unknown;
    try {
      const outcome = await transact(combine(members.map((i) => (writes[i] as AtomicWrite).change)));
      if (outcome.committed) {
        for (const i of members) revisions[i] = outcome.revision;
        committed.push(...members);
        continue;
      }
    } catch (error) {
      failure = error;
    }
    const leftBehind = await undo(transact, committed.map((i) => (writes[i] as AtomicWrite).undo(revisions[i] as string)));
    const left = leftBehind.map((j) => committed[j] as number);
    if (failure === undefined && left.length === 0) return { kind: 'conflict' };
    return { kind: 'error', error: failure ?? new Error('a concurrent write kept an undo from applying'), leftBehind: left };
  }
  return { kind: 'committed', revisions };
}

/** undo applies the undo changes, newest first; returns the indices of those that could not be applied. */
async function undo(transact: (change: GuardedChange) => Promise<TxnOutcome>, changes: GuardedChange[]): Promise<number[]> {
  const failed: number[] = [];
  for (const members of packInOrder(changes).reverse()) {
    if (await applies(transact, combine(members.map((i) => changes[i] as GuardedChange)))) continue;
    // One undo whose object moved on since must not keep the others from applying.
    for (const i of members) if (members.length === 1 || !(await applies(transact, changes[i] as GuardedChange))) failed.push(i);
  }
  return failed.sort((a, b) => a - b);
}

async function applies(transact: (change: GuardedChange) => Promise<TxnOutcome>, change: GuardedChange): Promise<boolean> {
  try {
    return (await transact(change)).committed;
  } catch {
    return false;
  }
}

/**
 * packInOrder cuts changes, in their order, into runs that each fit one transaction: at most
 * MAX_TXN_OPS compares and writes, and MAX_TXN_VALUE_BYTES of values (counted as if base64, as
 * encrypted values are stored). A change whose key is already used in the run starts a new one,
 * so no change's write meets another's guard in the same transaction.
 */
export function packInOrder(changes: readonly GuardedChange[]): number[][] {
  const packs: number[][] = [];
  let members: number[] = [];
  let guarded = new Set<string>();
  let written = new Set<string>();
  let writes = 0;
  let bytes = 0;
  changes.forEach((change, i) => {
    const newGuards = new Set(change.guards.map((g) => g.key).filter((k) => !guarded.has(k)));
    const changeBytes = change.writes.reduce((n, w) => n + ('put' in w ? Math.ceil((w.put.length * 4) / 3) : 0), 0);
    const clash = change.writes.some((w) => written.has(w.key) || guarded.has(w.key)) || change.guards.some((g) => written.has(g.key));
    const full = guarded.size + newGuards.size > MAX_TXN_OPS || writes + change.writes.length > MAX_TXN_OPS || bytes + changeBytes > MAX_TXN_VALUE_BYTES;
    if (members.length > 0 && (clash || full)) {
      packs.push(members);
      [members, guarded, written, writes, bytes] = [[], new Set(), new Set(), 0, 0];
    }
    members.push(i);
    for (const g of change.guards) guarded.add(g.key);
    for (const w of change.writes) written.add(w.key);
    writes += change.writes.length;
    bytes += changeBytes;
  });
  if (members.length > 0) packs.push(members);
  return packs;
}
