/** Retry timing for pods that could not be placed. */
export interface BackoffOptions {
  /** Delay after the first failed attempt; doubles per attempt (Kubernetes: 1 s). */
  initialBackoffMs: number;
  /** Cap of that delay (Kubernetes: 10 s). */
  maxBackoffMs: number;
}

interface Parked {
  retryAt: number;
  /** Something changed that may let it fit: move it to active once its backoff is over. */
  wanted: boolean;
}

/**
 * SchedulingQueue holds the keys of pods waiting for a node. Active keys are planned in arrival
 * order. A pod that could not be placed is parked with a per-pod exponential backoff; it goes
 * back to active when the cluster changes in a way that could let it fit (retryParked), but
 * not before its backoff is over, so a flood of node or pod updates does not spin the scheduler.
 */
export class SchedulingQueue {
  private readonly active = new Set<string>();
  private readonly parked = new Map<string, Parked>();
  /** Failed attempts per pod since it last changed; kept while it moves between parked and active. */
  private readonly attempts = new Map<string, number>();
  private waiter: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private flushQueued = false;
  private closed = false;

  constructor(private readonly backoff: BackoffOptions, private readonly now: () => number = Date.now) {}

  get activeCount(): number {
    return this.active.size;
  }

  get parkedCount(): number {
    return this.parked.size;
  }

  isParked(key: string): boolean {
    return this.parked.has(key);
  }

  /** add makes a key active now (a new or changed pod); it forgets any backoff. */
  add(key: string): void {
    if (this.closed) return;
    this.parked.delete(key);
    this.attempts.delete(key);
    this.active.add(key);
    this.wake();
  }

  /** delete forgets a key: the pod was placed, bound elsewhere, or deleted. */
  delete(key: string): void {
    this.active.delete(key);
    this.parked.delete(key);
    this.attempts.delete(key);
  }

  /** take removes up to max active keys, oldest first. */
  take(max: number): string[] {
    const out: string[] = [];
    for (const key of this.active) {
      if (out.length >= max) break;
      out.push(key);
    }
    for (const key of out) this.active.delete(key);
    return out;
  }

  /**
   * park sets a key aside after a failed attempt. With `retry` it comes back on its own once
   * the backoff is over (the store failed, not the pod); otherwise it waits for a change.
   */
  park(key: string, options: { retry?: boolean } = {}): void {
    if (this.closed) return;
    const attempts = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempts);
    const delay = Math.min(this.backoff.initialBackoffMs * 2 ** (attempts - 1), this.backoff.maxBackoffMs);
    this.active.delete(key);
    this.parked.set(key, { retryAt: this.now() + delay, wanted: options.retry ?? false });
    if (options.retry) this.scheduleFlush();
  }

  /** retryParked is called when a node or a bound pod changed: every parked pod gets another try. */
  retryParked(): void {
    if (this.parked.size === 0) return;
    for (const entry of this.parked.values()) entry.wanted = true;
    this.scheduleFlush();
  }

  /** wait resolves when there may be active keys, or when the signal aborts. */
  async wait(signal: AbortSignal): Promise<void> {
    if (this.active.size > 0 || signal.aborted || this.closed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        this.waiter = undefined;
        resolve();
      };
      this.waiter = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.active.clear();
    this.parked.clear();
    this.attempts.clear();
    this.wake();
  }

  private wake(): void {
    this.waiter?.();
  }

  /** A burst of informer events in one tick costs one pass over the parked pods. */
  private scheduleFlush(): void {
    if (this.flushQueued || this.closed) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closed) return;
    const now = this.now();
    let next = Infinity;
    for (const [key, entry] of this.parked) {
      if (!entry.wanted) continue;
      if (entry.retryAt <= now) {
        this.parked.delete(key);
        this.active.add(key);
      } else {
        next = Math.min(next, entry.retryAt);
      }
    }
    if (this.active.size > 0) this.wake();
    if (next < Infinity && (next < this.timerAt || !this.timer)) {
      clearTimeout(this.timer);
      this.timerAt = next;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.flush();
      }, Math.max(0, next - now));
    }
  }
}
