import type { BerthObject } from '../../proto/objects/meta.js';
import { objectKey } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import type { ObjectStore } from './object-store.js';

interface PendingCreate {
  items: { info: ResourceInfo; object: BerthObject }[];
  mustExist: string[];
  resolve: (stored: BerthObject[] | undefined) => void;
  reject: (err: unknown) => void;
}

/** etcd's default limit of operations per transaction. */
const MAX_TXN_OPS = 128;

/**
 * CreateBatcher is group commit for all-new creates: the creates requested during one turn of
 * the event loop go to etcd as one transaction, so many concurrent API calls cost etcd (and this
 * process) one round trip instead of one each. The batch is all or nothing; when any of its
 * conditions fails, each request is retried on its own, so one request's conflict never decides
 * another's outcome.
 */
export class CreateBatcher {
  private pending: PendingCreate[] = [];
  private scheduled = false;

  constructor(private readonly store: ObjectStore) {}

  /** Like ObjectStore.createAll: the stored objects, or undefined if a condition failed. */
  createAll(items: PendingCreate['items'], mustExist: string[]): Promise<BerthObject[] | undefined> {
    return new Promise((resolve, reject) => {
      this.pending.push({ items, mustExist, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const queue = this.pending;
    this.pending = [];
    while (queue.length > 0) {
      const batch = takeBatch(queue);
      await this.commit(batch);
    }
  }

  private async commit(batch: PendingCreate[]): Promise<void> {
    if (batch.length === 1) {
      const only = batch[0] as PendingCreate;
      await this.store.createAll(only.items, only.mustExist).then(only.resolve, only.reject);
      return;
    }
    let stored: BerthObject[] | undefined;
    try {
      stored = await this.store.createAll(batch.flatMap((p) => p.items), [...new Set(batch.flatMap((p) => p.mustExist))]);
    } catch {
      stored = undefined;
    }
    if (!stored) {
      await Promise.all(batch.map((p) => this.store.createAll(p.items, p.mustExist).then(p.resolve, p.reject)));
      return;
    }
    let offset = 0;
    for (const p of batch) {
      p.resolve(stored.slice(offset, offset + p.items.length));
      offset += p.items.length;
    }
  }
}

/** takeBatch removes from the queue the requests that fit one transaction with distinct keys. */
function takeBatch(queue: PendingCreate[]): PendingCreate[] {
  const batch: PendingCreate[] = [];
  const keys = new Set<string>();
  const namespaces = new Set<string>();
  for (let i = 0; i < queue.length; ) {
    const p = queue[i] as PendingCreate;
    const own = p.items.map(({ info, object }) => objectKey(info, object.metadata.namespace, object.metadata.name));
    const newNamespaces = p.mustExist.filter((k) => !namespaces.has(k));
    const fits = keys.size + own.length + namespaces.size + newNamespaces.length <= MAX_TXN_OPS;
    if (batch.length > 0 && (!fits || own.some((k) => keys.has(k)))) {
      i++;
      continue;
    }
    for (const k of own) keys.add(k);
    for (const k of newNamespaces) namespaces.add(k);
    batch.push(p);
    queue.splice(i, 1);
  }
  return batch;
}
