/**
 * The deciding half of a pod's termination, pure: how long the pod is given, when each step's
 * time is over, and whether the control plane is told. pod-termination.ts carries it out.
 *
 * The sequence, Kubernetes' with Berth's drain wait in front:
 *   1. wait until no node's proxy sends new connections to the pod (graceful deletion only),
 *      leaving STOP_RESERVE_MS of the grace period (at most half of it) to the steps after;
 *   2. each running container's preStop hook, in parallel;
 *   3. its stop signal (SIGTERM unless the image says otherwise);
 *   4. SIGKILL once the grace period, counted from the start of termination (the drain wait and
 *      the hooks included), is over;
 *   5. release the pod's network;
 *   6. FinishPodTermination (graceful deletion only): the control plane removes the pod object.
 * A pod with nothing running skips steps 1 to 4: there is nothing to drain or stop.
 */
import type { Pod } from '../../proto/objects/pod.js';

/** The grace period of a pod that names none (Kubernetes' default). */
export const DEFAULT_GRACE_PERIOD_SECONDS = 30;

/** The largest timeout WaitEndpointsDrained takes (an int32 of milliseconds). */
const MAX_DRAIN_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * TerminationMode is used to say how a pod leaves the node: `graceful` when it arrived with a
 * deletionTimestamp (the control plane waits for FinishPodTermination); `gone` when its object
 * is already deleted or bound elsewhere (no drain wait, nobody to tell).
 */
export type TerminationMode = 'graceful' | 'gone';

/** TerminationPlan is used to carry out one pod's termination: its steps and its deadline. */
export interface TerminationPlan {
  mode: TerminationMode;
  /** When termination started (epoch ms). */
  startedAt: number;
  /** When every container must have stopped: SIGKILL then (epoch ms). */
  deadline: number;
  /** Wait for the endpoints to drain first (graceful mode and something runs). */
  drain: boolean;
  /** Call FinishPodTermination at the end. */
  finish: boolean;
}

/**
 * gracePeriodMs is the pod's grace period: the one its deletion set (a later delete may have
 * shortened it), else its spec's terminationGracePeriodSeconds, else 30 s.
 */
export function gracePeriodMs(pod: Pod): number {
  const seconds = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
  return Math.max(0, seconds) * 1000;
}

/** planTermination is the plan of a termination that starts `now`, with `running` containers still running. */
export function planTermination(pod: Pod, mode: TerminationMode, running: number, now: number): TerminationPlan {
  return { mode, startedAt: now, deadline: now + gracePeriodMs(pod), drain: mode === 'graceful' && running > 0, finish: mode === 'graceful' };
}

/**
 * shortenedDeadline is the deadline once the pod object says `pod` again during termination:
 * a second delete may shorten the grace period (counted from the start), never lengthen it.
 */
export function shortenedDeadline(plan: TerminationPlan, pod: Pod): number {
  return Math.min(plan.deadline, plan.startedAt + gracePeriodMs(pod));
}

/** remainingMs is what is left of the grace period at `now` (never negative). */
export function remainingMs(deadline: number, now: number): number {
  return Math.max(0, deadline - now);
}

/**
 * How much of the grace period the drain wait leaves to preStop and the stop signal (at most
 * half of it): a drain that never completes must not turn every stop into a SIGKILL.
 */
export const STOP_RESERVE_MS = 2_000;

/** drainTimeoutMs is the timeout to give WaitEndpointsDrained at `now`: what is left of the grace period but the stop's reserve. */
export function drainTimeoutMs(plan: Pick<TerminationPlan, 'startedAt' | 'deadline'>, now: number): number {
  const reserve = Math.min(STOP_RESERVE_MS, (plan.deadline - plan.startedAt) / 2);
  return Math.min(MAX_DRAIN_TIMEOUT_MS, Math.floor(remainingMs(plan.deadline - reserve, now)));
}

/** FINISH_RETRY_MAX_MS caps the wait between two FinishPodTermination attempts. */
export const FINISH_RETRY_MAX_MS = 10_000;

/** finishRetryDelayMs is how long to wait before attempt `attempt + 1` of FinishPodTermination (1 s doubling to 10 s). */
export function finishRetryDelayMs(attempt: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, attempt - 1), FINISH_RETRY_MAX_MS);
}
