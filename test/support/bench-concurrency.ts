/**
 * How the benchmarks keep a fixed amount of work in flight, so that Berth and its raw baseline
 * are driven alike.
 */

/** runConcurrently runs `op(i)` for i in [0, n) with `concurrency` in flight; returns ops/s. */
export async function runConcurrently(n: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await op(next++);
    }),
  );
  return n / (Number(process.hrtime.bigint() - started) / 1e9);
}

/**
 * runBatches commits consecutive slices of the items, one slice per `sizes` entry, in order,
 * starting a slice whenever the items in flight plus its own stay within `maxItemsInFlight`
 * (a slice larger than that limit runs alone). Returns items/s.
 */
export async function runBatches<T>(items: readonly T[], sizes: readonly number[], maxItemsInFlight: number, commit: (batch: T[]) => Promise<unknown>): Promise<number> {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== items.length) throw new Error(`batch sizes add up to ${total}, but there are ${items.length} items`);
  const started = process.hrtime.bigint();
  let offset = 0;
  let inFlight = 0;
  const running = new Set<Promise<void>>();
  for (const size of sizes) {
    while (running.size > 0 && inFlight + size > maxItemsInFlight) await Promise.race(running);
    const batch = items.slice(offset, offset + size);
    offset += size;
    inFlight += size;
    const task: Promise<void> = commit(batch).then(() => {
      inFlight -= size;
      running.delete(task);
    });
    running.add(task);
  }
  await Promise.all(running);
  return items.length / (Number(process.hrtime.bigint() - started) / 1e9);
}
