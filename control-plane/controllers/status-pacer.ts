/**
 * StatusPacer is used by controllers to write an object's status at most once per interval.
 * While 100 replicas start, each pod that becomes ready changes its ReplicaSet's counts, and
 * every status write is a transaction, a watch event to every informer, and a Deployment
 * reconcile that writes the Deployment's status in turn: writing each intermediate count cost
 * the control plane more than starting the pods. A reconcile that finds the status changed
 * writes it at once when the last write is older than the interval; otherwise it is told how
 * long to wait and requeues itself for then, so the newest status is always written, at most
 * `intervalMs` late. Kubernetes' controllers get a similar effect from their client's rate
 * limit (20 writes/s by default). An interval of 0 writes every change (tests).
 */
export class StatusPacer {
  /** key → when its status was last written (ms). */
  private readonly lastWrite = new Map<string, number>();

  constructor(private readonly intervalMs: number, private readonly now: () => number) {}

  /** waitMs: 0 when `key`'s status may be written now, else how long until it may. */
  waitMs(key: string): number {
    const last = this.lastWrite.get(key);
    if (last === undefined || this.intervalMs <= 0) return 0;
    return Math.max(0, last + this.intervalMs - this.now());
  }

  /** wrote records a status write for `key`. */
  wrote(key: string): void {
    if (this.intervalMs <= 0) return;
    this.lastWrite.set(key, this.now());
    // Entries older than the interval no longer delay anything: drop them now and then.
    if (this.lastWrite.size > 1000) for (const [k, t] of this.lastWrite) if (t + this.intervalMs < this.now()) this.lastWrite.delete(k);
  }

  forget(key: string): void {
    this.lastWrite.delete(key);
  }
}
