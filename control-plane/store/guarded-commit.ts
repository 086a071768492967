import { combine, guardHolds, MAX_TXN_OPS, MAX_TXN_VALUE_BYTES } from './guarded-change.js';
import type { ChangeResult, GuardedChange, KeyGuard } from './guarded-change.js';
import type { TxnOutcome } from './etcd-txn.js';

/** Rounds in which changes share transactions; after them, each change that is left goes alone. */
const PACKED_ROUNDS = 2;

/**
 * commitChanges writes many independent guarded changes with as few etcd round trips as it can
 * (group commit): changes are packed into transactions of up to MAX_TXN_OPS guards and writes,
 * each all or nothing. When a transaction fails, its failure branch tells what every guarded key
 * holds now: a change whose own guards still hold was only failed by a neighbour, and is tried
 * again (packed once more, then alone); a change whose guard failed is a conflict, returned
 * with the current values. So one change's conflict never decides another's outcome, and no
 * change is ever applied over a write it did not see. Results are in the order of `changes`;
 * it never throws (an etcd failure is an `error` result for the changes it hit).
 */
export async function commitChanges(transact: (change: GuardedChange) => Promise<TxnOutcome>, changes: readonly GuardedChange[]): Promise<ChangeResult[]> {
  const results: ChangeResult[] = new Array<ChangeResult>(changes.length);
  let pending = changes.map((_, i) => i);
  for (let round = 0; pending.length > 0; round++) {
    const packs = round < PACKED_ROUNDS ? pack(changes, pending) : pending.map((i) => [i]);
    const again: number[] = [];
    await Promise.all(
      packs.map(async (members) => {
        let outcome: TxnOutcome;
        try {
          outcome = await transact(members.length === 1 ? (changes[members[0] as number] as GuardedChange) : combine(members.map((i) => changes[i] as GuardedChange)));
        } catch (error) {
          for (const i of members) results[i] = { kind: 'error', error };
          return;
        }
        for (const i of members) {
          if (outcome.committed) {
            results[i] = { kind: 'committed', revision: outcome.revision };
            continue;
          }
          const change = changes[i] as GuardedChange;
          const current = change.guards.map((g) => outcome.current.get(g.key));
          const ownGuardsHold = change.guards.every((g, j) => guardHolds(g, current[j]));
          if (members.length > 1 && ownGuardsHold) again.push(i);
          else results[i] = { kind: 'conflict', current };
        }
      }),
    );
    pending = again.sort((a, b) => a - b);
  }
  return results;
}

/** A transaction being filled: its changes and what they use of etcd's limits. */
interface Pack {
  members: number[];
  /** Every key a member guards or writes, with the guard on it ('write' for a written key). */
  keys: Map<string, string>;
  compares: number;
  writes: number;
  bytes: number;
}

/**
 * pack groups changes into transactions, first fit, within etcd's limits. Two changes share a
 * transaction only if no key is used by both, except the same `present` guard (the namespace of
 * several new objects), so one change's writes can never satisfy or break another's guards.
 */
function pack(changes: readonly GuardedChange[], pending: readonly number[]): number[][] {
  const packs: Pack[] = [];
  for (const i of pending) {
    const change = changes[i] as GuardedChange;
    const target = packs.find((p) => fits(p, change)) ?? newPack(packs);
    add(target, i, change);
  }
  return packs.map((p) => p.members);
}

function newPack(packs: Pack[]): Pack {
  const p: Pack = { members: [], keys: new Map(), compares: 0, writes: 0, bytes: 0 };
  packs.push(p);
  return p;
}

function guardTag(guard: KeyGuard): string {
  return guard.expect === 'present' ? 'present' : `${guard.expect}:${JSON.stringify(guard)}`;
}

function fits(p: Pack, change: GuardedChange): boolean {
  if (p.members.length === 0) return true;
  let compares = p.compares;
  for (const g of change.guards) {
    const used = p.keys.get(g.key);
    if (used === undefined) compares++;
    else if (used !== 'present' || guardTag(g) !== 'present') return false;
  }
  for (const w of change.writes) if (p.keys.has(w.key)) return false;
  const bytes = p.bytes + valueBytes(change);
  return compares <= MAX_TXN_OPS && p.writes + change.writes.length <= MAX_TXN_OPS && bytes <= MAX_TXN_VALUE_BYTES;
}

function add(p: Pack, i: number, change: GuardedChange): void {
  p.members.push(i);
  for (const g of change.guards) {
    if (!p.keys.has(g.key)) p.compares++;
    p.keys.set(g.key, guardTag(g));
  }
  for (const w of change.writes) p.keys.set(w.key, 'write');
  p.writes += change.writes.length;
  p.bytes += valueBytes(change);
}

function valueBytes(change: GuardedChange): number {
  let bytes = 0;
  for (const w of change.writes) if ('put' in w) bytes += w.put.length;
  return bytes;
}
