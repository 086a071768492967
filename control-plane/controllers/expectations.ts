/**
 * Expectations remember, per controller key, the writes a controller has made that its informer
 * has not yet shown it (Kubernetes' ControllerExpectations, by name rather than by count). While
 * any are outstanding the controller must not act on the informer's view, or a lagging cache
 * would make it create the same replicas twice. Each pending write is settled when the informer
 * reports it (observeCreate / observeDelete), when the write fails (the controller lowers the
 * expectation), or when the record is older than the timeout: a missed event then costs a
 * delay, never a stuck controller.
 */
export class Expectations {
  private readonly pending = new Map<string, { creates: Set<string>; deletes: Set<string>; since: number }>();

  constructor(private readonly timeoutMs = 30_000, private readonly now: () => number = Date.now) {}

  /** expect records writes about to be made; call before the write so its event cannot be missed. */
  expect(key: string, creates: readonly string[], deletes: readonly string[]): void {
    const record = this.pending.get(key) ?? { creates: new Set<string>(), deletes: new Set<string>(), since: this.now() };
    for (const c of creates) record.creates.add(c);
    for (const d of deletes) record.deletes.add(d);
    record.since = this.now();
    this.pending.set(key, record);
  }

  observeCreate(key: string, objectName: string): void {
    this.settle(key, (r) => r.creates.delete(objectName));
  }

  observeDelete(key: string, objectName: string): void {
    this.settle(key, (r) => r.deletes.delete(objectName));
  }

  /** lower forgets expected writes that failed (or found their work already done). */
  lower(key: string, creates: readonly string[], deletes: readonly string[]): void {
    this.settle(key, (r) => {
      for (const c of creates) r.creates.delete(c);
      for (const d of deletes) r.deletes.delete(d);
    });
  }

  /** satisfied: nothing outstanding for the key, or the record has expired. */
  satisfied(key: string): boolean {
    const record = this.pending.get(key);
    if (!record) return true;
    if (this.now() - record.since > this.timeoutMs) {
      this.pending.delete(key);
      return true;
    }
    return false;
  }

  /** outstanding lists what is still awaited, for logs and tests. */
  outstanding(key: string): { creates: string[]; deletes: string[] } {
    const record = this.pending.get(key);
    return { creates: [...(record?.creates ?? [])], deletes: [...(record?.deletes ?? [])] };
  }

  forget(key: string): void {
    this.pending.delete(key);
  }

  private settle(key: string, change: (r: { creates: Set<string>; deletes: Set<string> }) => void): void {
    const record = this.pending.get(key);
    if (!record) return;
    change(record);
    if (record.creates.size === 0 && record.deletes.size === 0) this.pending.delete(key);
  }
}
