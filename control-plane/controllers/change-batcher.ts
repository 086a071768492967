import type { ChangeResult, GuardedChange } from '../store/guarded-change.js';
import type { ObjectStore } from '../store/object-store.js';

interface Pending {
  changes: readonly GuardedChange[];
  resolve: (results: ChangeResult[]) => void;
}

/**
 * ChangeBatcher is group commit for a controller's workers: the changes they submit during one
 * turn of the event loop go to the store together (ObjectStore.commit), so reconciles that finish
 * together share transactions. Each change still succeeds or conflicts on its own.
 */
export class ChangeBatcher {
  private pending: Pending[] = [];

  constructor(private readonly store: ObjectStore) {}

  /** commit resolves with one result per change, in order; it never rejects (etcd failures are `error` results). */
  commit(changes: readonly GuardedChange[]): Promise<ChangeResult[]> {
    if (changes.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      this.pending.push({ changes, resolve });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const results = await this.store.commit(batch.flatMap((p) => p.changes));
    let at = 0;
    for (const p of batch) {
      p.resolve(results.slice(at, at + p.changes.length));
      at += p.changes.length;
    }
  }
}
