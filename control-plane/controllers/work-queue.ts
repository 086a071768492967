import type { Logger } from 'winston';

/**
 * WorkQueue holds keys to reconcile (kubernetes/sample-controller's workqueue): a key is queued at
 * most once however often it is added; a key being processed is not handed to a second worker,
 * and if it is added meanwhile it is processed again afterwards. Failures are retried with
 * per-key exponential backoff; success forgets the key's failures.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirtyWhileProcessing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private waiting: (() => void)[] = [];
  private shuttingDown = false;

  constructor(
    readonly name: string,
    private readonly baseDelayMs = 50,
    private readonly maxDelayMs = 30_000,
  ) {}

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirtyWhileProcessing.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiting.shift()?.();
  }

  /** addAfter queues the key after a delay (a later add of the same key replaces the timer). */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs));
  }

  /** retry re-queues a key that failed, after its backoff. */
  retry(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = Math.min(this.baseDelayMs * 2 ** (n - 1), this.maxDelayMs);
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  get length(): number {
    return this.queue.length;
  }

  /** next waits for a key; undefined once the queue shuts down. */
  async next(): Promise<string | undefined> {
    while (this.queue.length === 0) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    const key = this.queue.shift() as string;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  /** done marks a key processed; if it was added meanwhile it goes back in the queue. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirtyWhileProcessing.delete(key)) this.add(key);
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiting.splice(0)) w();
  }
}

/** ReconcileResult tells the worker loop what to do with the key next. */
export type ReconcileResult =
  | { kind: 'done' }
  /** Look again after this long, though nothing failed (e.g. waiting for a deadline). */
  | { kind: 'requeueAfter'; delayMs: number };

/**
 * runWorkers runs `count` loops that take keys and call reconcile. An error is logged and the key
 * retried with backoff; the loops end when the queue shuts down.
 */
export function runWorkers(queue: WorkQueue, count: number, reconcile: (key: string) => Promise<ReconcileResult>, logger: Logger): Promise<void[]> {
  const worker = async () => {
    for (;;) {
      const key = await queue.next();
      if (key === undefined) return;
      try {
        const result = await reconcile(key);
        queue.forget(key);
        if (result.kind === 'requeueAfter') queue.addAfter(key, result.delayMs);
      } catch (err) {
        const delay = queue.retry(key);
        logger.warn('reconcile failed; retrying', { queue: queue.name, key, delayMs: delay, error: err instanceof Error ? err.message : String(err) });
      } finally {
        queue.done(key);
      }
    }
  };
  return Promise.all(Array.from({ length: count }, worker));
}
