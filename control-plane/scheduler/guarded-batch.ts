import type { Etcd3, IKeyValue, IRequestOp } from 'etcd3';

/** etcd's default --max-txn-ops: a transaction holds at most this many operations per branch. */
export const MAX_TXN_OPS = 128;

/** GuardedPut writes value to key only if the key's mod_revision is still expectedRevision. */
export interface GuardedPut {
  key: string;
  expectedRevision: string;
  value: string;
}

/**
 * GuardedPutResult says what happened to one put (STYLE.md item 4):
 * - written: committed at this revision.
 * - conflict: the key changed or vanished; `current` is what it holds now (undefined: deleted).
 * - error: etcd did not answer; nothing is known to be written.
 */
export type GuardedPutResult = { kind: 'written'; revision: string } | { kind: 'conflict'; current: IKeyValue | undefined } | { kind: 'error'; error: unknown };

/**
 * putGuarded commits many revision-guarded puts with as few round trips as it can: one
 * transaction per chunk of 128 whose compares are all the guards. If any guard fails, the
 * transaction writes nothing and its failure branch reads every key instead; the puts whose
 * keys are unchanged are then retried one by one (still guarded), and the others come back as
 * conflicts with the key's current value. A put is never applied over a change it did not see.
 * Results are in the order of `puts`; it never throws.
 */
export async function putGuarded(etcd: Etcd3, puts: readonly GuardedPut[]): Promise<GuardedPutResult[]> {
  const chunks: Promise<GuardedPutResult[]>[] = [];
  for (let start = 0; start < puts.length; start += MAX_TXN_OPS) chunks.push(putChunk(etcd, puts.slice(start, start + MAX_TXN_OPS)));
  return (await Promise.all(chunks)).flat();
}

async function putChunk(etcd: Etcd3, chunk: readonly GuardedPut[]): Promise<GuardedPutResult[]> {
  if (chunk.length === 1) return [await putOne(etcd, chunk[0] as GuardedPut)];
  const keys = chunk.map((p) => Buffer.from(p.key));
  let res;
  try {
    res = await etcd.kv.txn({
      compare: chunk.map((p, i) => ({ key: keys[i], target: 'Mod', result: 'Equal', mod_revision: p.expectedRevision })),
      success: chunk.map((p, i): IRequestOp => ({ request_put: { key: keys[i], value: Buffer.from(p.value) } })),
      failure: keys.map((key): IRequestOp => ({ request_range: { key } })),
    });
  } catch (error) {
    return chunk.map(() => ({ kind: 'error', error }));
  }
  const revision = String(res.header.revision);
  if (res.succeeded) return chunk.map(() => ({ kind: 'written', revision }));
  return Promise.all(
    chunk.map(async (p, i): Promise<GuardedPutResult> => {
      const current = res.responses[i]?.response_range?.kvs[0];
      if (current && String(current.mod_revision) === p.expectedRevision) return putOne(etcd, p);
      return { kind: 'conflict', current };
    }),
  );
}

async function putOne(etcd: Etcd3, put: GuardedPut): Promise<GuardedPutResult> {
  const key = Buffer.from(put.key);
  try {
    const res = await etcd.kv.txn({
      compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: put.expectedRevision }],
      success: [{ request_put: { key, value: Buffer.from(put.value) } }],
      failure: [{ request_range: { key } }],
    });
    if (res.succeeded) return { kind: 'written', revision: String(res.header.revision) };
    return { kind: 'conflict', current: res.responses[0]?.response_range?.kvs[0] };
  } catch (error) {
    return { kind: 'error', error };
  }
}
