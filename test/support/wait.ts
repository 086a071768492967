import { setTimeout as sleep } from 'node:timers/promises';

/**
 * eventually retries an assertion until it passes or the time is up, then throws its last
 * failure: for state that converges (a watch catching up), never as a timing assertion.
 */
export async function eventually<T>(assertion: () => T | Promise<T>, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(intervalMs);
    }
  }
}
