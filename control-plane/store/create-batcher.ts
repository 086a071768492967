import type { BerthObject } from '../../proto/objects/meta.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { withRevision } from './codec.js';
import { combine, createObject } from './guarded-change.js';
import type { GuardedChange } from './guarded-change.js';
import type { ObjectStore } from './object-store.js';

interface PendingCreate {
  items: { info: ResourceInfo; object: BerthObject }[];
  change: GuardedChange;
  resolve: (stored: BerthObject[] | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * CreateBatcher is group commit for all-new creates: the creates requested during one turn of
 * the event loop go to the store together (ObjectStore.commit), so many concurrent API calls cost
 * etcd (and this process) one round trip instead of one each. Each request stays all or nothing
 * on its own: one request's conflict never decides another's outcome.
 */
export class CreateBatcher {
  private pending: PendingCreate[] = [];

  constructor(private readonly store: ObjectStore) {}

  /**
   * Like ObjectStore.createAll: the stored objects, or undefined if a key was taken or a
   * `mustExist` key missing. `alongside` are changes that go in the same transaction (the claims
   * of new Services), all or nothing with the creates.
   */
  createAll(items: PendingCreate['items'], mustExist: string[], alongside: readonly GuardedChange[] = []): Promise<BerthObject[] | undefined> {
    const change = combine(
      [...items.map(({ info, object }) => createObject(info, object)), ...alongside],
      mustExist.map((key) => ({ key, expect: 'present' as const })),
    );
    return new Promise((resolve, reject) => {
      this.pending.push({ items, change, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const results = await this.store.commit(batch.map((p) => p.change));
    batch.forEach((p, i) => {
      const result = results[i];
      if (result?.kind === 'committed') p.resolve(p.items.map(({ object }) => withRevision(object, result.revision)));
      else if (result?.kind === 'conflict') p.resolve(undefined);
      else p.reject(result?.error);
    });
  }
}
