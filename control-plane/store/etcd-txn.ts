import type { Etcd3, ICompare, IRequestOp } from 'etcd3';
import type { GuardedChange, KeyGuard, KeyWrite, StoredValue } from './guarded-change.js';

/** TxnOutcome is etcd's answer to one guarded change. */
export interface TxnOutcome {
  committed: boolean;
  /** etcd's revision after the transaction (the commit's revision when committed). */
  revision: string;
  /** On failure: what each guarded key holds now (absent keys map to undefined). */
  current: Map<string, StoredValue | undefined>;
}

/**
 * runTxn sends one GuardedChange to etcd as one transaction: every guard a compare, every write
 * an operation of the success branch, and a read of every guarded key in the failure branch, so
 * a caller whose guard failed learns what is there now without another round trip.
 */
export async function runTxn(client: Etcd3, change: GuardedChange): Promise<TxnOutcome> {
  const guardedKeys = [...new Set(change.guards.map((g) => g.key))];
  const res = await client.kv.txn({
    compare: change.guards.map(toCompare),
    success: change.writes.map(toRequest),
    failure: guardedKeys.map((key): IRequestOp => ({ request_range: { key: Buffer.from(key) } })),
  });
  const current = new Map<string, StoredValue | undefined>();
  if (!res.succeeded) {
    guardedKeys.forEach((key, i) => {
      const kv = res.responses[i]?.response_range?.kvs[0];
      current.set(key, kv ? { key, value: kv.value, modRevision: String(kv.mod_revision) } : undefined);
    });
  }
  return { committed: res.succeeded, revision: String(res.header.revision), current };
}

function toCompare(guard: KeyGuard): ICompare {
  const key = Buffer.from(guard.key);
  switch (guard.expect) {
    case 'revision':
      return { key, target: 'Mod', result: 'Equal', mod_revision: guard.revision };
    case 'absent':
      return { key, target: 'Create', result: 'Equal', create_revision: '0' };
    case 'present':
      return { key, target: 'Create', result: 'Greater', create_revision: '0' };
    case 'value':
      return { key, target: 'Value', result: 'Equal', value: Buffer.from(guard.value) };
  }
}

function toRequest(write: KeyWrite): IRequestOp {
  const key = Buffer.from(write.key);
  if ('delete' in write) return { request_delete_range: { key } };
  return { request_put: { key, value: Buffer.from(write.put), ...(write.leaseId ? { lease: write.leaseId } : {}) } };
}
