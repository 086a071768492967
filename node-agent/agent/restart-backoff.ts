/**
 * The crash restart schedule. Kubernetes waits 10 s before its second restart and doubles up
 * to 5 min; Berth restarts far sooner, because a container start costs it tens of ms:
 *
 *   restart #1: at once        restart #4: 1 s
 *   restart #2: 250 ms         restart #5: 2 s
 *   restart #3: 500 ms         restart #6: 4 s, then every 5 s (the cap)
 *
 * A container that ran cleanly for 10 s before it exited starts the schedule over (its next
 * restart is immediate again), as Kubernetes does after 10 min.
 */

/** The first delayed restart waits this long; each further one twice as long. */
export const BACKOFF_BASE_MS = 250;
/** No restart waits longer. */
export const BACKOFF_CAP_MS = 5_000;
/** A run at least this long resets the schedule. */
export const BACKOFF_RESET_AFTER_MS = 10_000;

/** restartDelayMs is how long to wait before the restart that follows `crashes` earlier crashes in a row (0 for the first). */
export function restartDelayMs(crashes: number): number {
  if (crashes <= 0) return 0;
  return Math.min(BACKOFF_BASE_MS * 2 ** (crashes - 1), BACKOFF_CAP_MS);
}

/**
 * crashesAfterExit is the crash count to use for the next delay once an instance exited:
 * reset when it ran cleanly long enough, else the count so far.
 */
export function crashesBeforeRestart(previousCrashes: number, ranForMs: number | undefined): number {
  return ranForMs !== undefined && ranForMs >= BACKOFF_RESET_AFTER_MS ? 0 : previousCrashes;
}

/** The image pull retry schedule: 1 s, 2 s, 4 s… capped at 20 s (Kubernetes: 10 s to 5 min). */
export function pullRetryDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(1_000 * 2 ** (failures - 1), 20_000);
}

/** formatDuration prints a delay the way Kubernetes' messages do: 250ms, 1s, 5s. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Math.round(ms / 100) / 10}s`;
}
