/**
 * The raw etcd side of the benchmarks' comparisons: the fewest etcd operations that do the same
 * work as Berth's code, on connectEtcd's client (no Berth logic, no JSON). Every write here is a
 * transaction of the same shape etcd must execute for Berth, so a ratio against it measures
 * Berth's overhead and nothing else:
 *
 * - guardedPutTxn: puts each guarded on the key's mod_revision, the failure branch reading every
 *   key back (what the scheduler's binding transactions carry);
 * - createTxn: puts each guarded on the key being absent, plus keys that must exist, the failure
 *   branch reading every guarded key (what the API's create transactions carry: the objects, and
 *   their namespace).
 *
 * Kept in one small file on purpose, on the raw client rather than ObjectStore.transact: a
 * baseline must not depend on the code it measures.
 */
import { connectEtcd, type EtcdClient } from '../../control-plane/store/etcd-client.js';

/** RawEtcd is the etcd client the control plane uses (connectEtcd), for raw baselines. */
export type RawEtcd = EtcdClient;

/** connectRawEtcd connects the baseline's client to one etcd endpoint. */
export function connectRawEtcd(endpoint: string): RawEtcd {
  return connectEtcd([endpoint]);
}

/** GuardedWrite is one put that must only happen while the key is still at expectedRevision. */
export interface GuardedWrite {
  key: string;
  expectedRevision: string;
  value: string;
}

/** guardedPutTxn commits the writes as one transaction and returns its revision; throws if etcd refused it or a guard failed. */
export async function guardedPutTxn(client: RawEtcd, writes: readonly GuardedWrite[]): Promise<string> {
  const keys = writes.map((w) => Buffer.from(w.key));
  const res = await client.kv.txn({
    compare: writes.map((w, i) => ({ key: keys[i] as Buffer, target: 'Mod' as const, result: 'Equal' as const, mod_revision: w.expectedRevision })),
    success: writes.map((w, i) => ({ request_put: { key: keys[i] as Buffer, value: Buffer.from(w.value) } })),
    failure: keys.map((key) => ({ request_range: { key } })),
  });
  if (!res.succeeded) throw new Error(`a guarded baseline transaction of ${writes.length} puts failed its guards (first key ${writes[0]?.key})`);
  return String(res.header.revision);
}

/** createTxn creates every key in one transaction, only if none exists and every `mustExist` key does; the failure branch reads every guarded key. */
export async function createTxn(client: RawEtcd, items: readonly { key: string; value: string }[], mustExist: readonly string[]): Promise<void> {
  const keys = items.map((item) => Buffer.from(item.key));
  const present = mustExist.map((k) => Buffer.from(k));
  const res = await client.kv.txn({
    compare: [
      ...keys.map((key) => ({ key, target: 'Create' as const, result: 'Equal' as const, create_revision: '0' })),
      ...present.map((key) => ({ key, target: 'Create' as const, result: 'Greater' as const, create_revision: '0' })),
    ],
    success: items.map((item, i) => ({ request_put: { key: keys[i] as Buffer, value: Buffer.from(item.value) } })),
    failure: [...keys, ...present].map((key) => ({ request_range: { key } })),
  });
  if (!res.succeeded) throw new Error(`a baseline create transaction of ${items.length} keys failed its guards (first key ${items[0]?.key})`);
}

/** putAndRevision writes one key with a plain put and returns the revision it was written at. */
export async function putAndRevision(client: RawEtcd, key: string, value: string): Promise<string> {
  const res = await client.put(key).value(value).exec();
  return String(res.header.revision);
}

/** deletePrefix removes every key under prefix (benchmark clean-up between runs). */
export async function deletePrefix(client: RawEtcd, prefix: string): Promise<void> {
  await client.delete().prefix(prefix).exec();
}

/** valuesUnder reads every key under prefix: key → value, as etcd holds them. */
export async function valuesUnder(client: RawEtcd, prefix: string): Promise<Map<string, string>> {
  const res = await client.getAll().prefix(prefix).strings();
  return new Map(Object.entries(res));
}

/**
 * watchTransactionSizes counts, per etcd revision, the puts under prefix: keys written by one
 * transaction share its revision, so the counts are the sizes of the transactions that wrote
 * them. `sizes(expected)` waits until `expected` puts were seen, ends the watch and returns the
 * sizes in revision order.
 */
export async function watchTransactionSizes(client: RawEtcd, prefix: string): Promise<{ sizes(expected: number, timeoutMs?: number): Promise<number[]> }> {
  const perRevision = new Map<string, number>();
  let seen = 0;
  let onPut = (): void => undefined;
  const watcher = await client.watch().prefix(prefix).create();
  watcher.on('put', (kv) => {
    perRevision.set(String(kv.mod_revision), (perRevision.get(String(kv.mod_revision)) ?? 0) + 1);
    seen++;
    onPut();
  });
  return {
    async sizes(expected: number, timeoutMs = 30_000): Promise<number[]> {
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`the watch on ${prefix} saw ${seen} of ${expected} puts within ${timeoutMs} ms`)), timeoutMs);
          onPut = () => {
            if (seen < expected) return;
            clearTimeout(timer);
            resolve();
          };
          onPut();
        });
      } finally {
        await watcher.cancel();
      }
      return [...perRevision].sort(([a], [b]) => Number(a) - Number(b)).map(([, n]) => n);
    },
  };
}
