/**
 * KeyedBatches is the queue behind the store's keyed group commits (pod status reports,
 * heartbeats): what is added during one turn of the event loop is handed to `commit` together,
 * at most `maxBatch` items at a time, and never two items of one key at once. A key's next item
 * waits until the commit holding its previous one has ended, so the items of one key are
 * committed in the order they were added, each planned on what the one before wrote.
 *
 * `commit` must settle its items itself and never reject: KeyedBatches only schedules.
 */
export class KeyedBatches<T> {
  /** key → its items not yet handed to a commit, oldest first; keys in the order they came. */
  private readonly waiting = new Map<string, T[]>();
  /** key → the batch (its array) that holds its item now. */
  private readonly inFlight = new Map<string, unknown>();
  private scheduled = false;

  constructor(
    private readonly maxBatch: number,
    private readonly commit: (batch: T[]) => Promise<void>,
  ) {}

  add(key: string, item: T): void {
    const items = this.waiting.get(key);
    if (items) items.push(item);
    else this.waiting.set(key, [item]);
    this.schedule();
  }

  /**
   * putBack hands an item of a batch being committed back to the queue, ahead of its key's other
   * items (it did not fit in the transaction): its key is free for the next batch at once.
   */
  putBack(key: string, item: T): void {
    this.inFlight.delete(key);
    const items = this.waiting.get(key);
    if (items) items.unshift(item);
    else this.waiting.set(key, [item]);
    this.schedule();
  }

  /** lastWaiting is the newest item of `key` not yet handed to a commit, for a caller that merges into it. */
  lastWaiting(key: string): T | undefined {
    const items = this.waiting.get(key);
    return items?.[items.length - 1];
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.size === 0) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    for (let batch = this.takeBatch(); batch.length > 0; batch = this.takeBatch()) {
      void this.commit(batch.map((b) => b.item)).then(() => {
        // A key put back meanwhile may be in a later batch by now: that one frees it.
        for (const { key } of batch) if (this.inFlight.get(key) === batch) this.inFlight.delete(key);
        this.schedule();
      });
    }
  }

  /** takeBatch removes the oldest waiting item of up to maxBatch keys with nothing in flight. */
  private takeBatch(): { key: string; item: T }[] {
    const batch: { key: string; item: T }[] = [];
    for (const [key, items] of this.waiting) {
      if (batch.length >= this.maxBatch) break;
      if (this.inFlight.has(key)) continue;
      const item = items.shift() as T;
      if (items.length === 0) this.waiting.delete(key);
      this.inFlight.set(key, batch);
      batch.push({ key, item });
    }
    return batch;
  }
}
