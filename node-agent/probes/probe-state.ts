/**
 * The deciding half of a prober, pure: what a probe's result is after each attempt (the
 * thresholds), when the next attempt is due (initial delay, period), and when a failure is worth
 * an event. container-prober.ts acts on these with timers and checks; tests call them with
 * made-up outcomes and clocks.
 *
 * The rules, as Kubernetes' prober worker has them:
 * - a probe starts from its kind's initial result: readiness `failure` (not ready until a pass),
 *   liveness `success` (alive until proven dead), startup `unknown`;
 * - `successThreshold` passes in a row make the result `success`, `failureThreshold` failures in
 *   a row make it `failure`; fewer leave it as it was;
 * - an attempt that could not be made (an error: no address to probe, a port name the container
 *   lacks) changes neither the result nor the counts, and is reported;
 * - the first attempt is due `initialDelaySeconds` after the container started, the next one
 *   `periodSeconds` after the previous one began (right after it ended when it took longer).
 */
import type { ProbeKind, ProbePlan } from './probe-plan.js';

/** ProbeResult is used for what a probe currently says of its container. */
export type ProbeResult = 'success' | 'failure' | 'unknown';

/** ProbeOutcome is used for how one attempt went. */
export type ProbeOutcome =
  | { result: 'success' }
  /** The container answered wrong, or not in time: counts towards failureThreshold. */
  | { result: 'failure'; message: string }
  /** The attempt could not be made: counts for nothing. */
  | { result: 'error'; message: string };

/** ProbeState is used to carry a probe's result and its run of equal outcomes from one attempt to the next. */
export interface ProbeState {
  result: ProbeResult;
  /** Passes in a row (0 after a failure). */
  successes: number;
  /** Failures in a row (0 after a pass). */
  failures: number;
}

/** Kubernetes' initial result of each kind. */
const INITIAL_RESULT: Readonly<Record<ProbeKind, ProbeResult>> = { readiness: 'failure', liveness: 'success', startup: 'unknown' };

/**
 * initialProbeState is where a new probe of a container instance starts: its kind's initial
 * result, or `seed` when the agent already knew better (the result an earlier agent reported
 * for this same instance, so a restarted agent does not flap its pods' readiness).
 */
export function initialProbeState(kind: ProbeKind, seed?: ProbeResult): ProbeState {
  return { result: seed ?? INITIAL_RESULT[kind], successes: 0, failures: 0 };
}

/** recordOutcome is the state after one attempt. */
export function recordOutcome(state: ProbeState, outcome: ProbeOutcome, plan: Pick<ProbePlan, 'successThreshold' | 'failureThreshold'>): ProbeState {
  if (outcome.result === 'error') return state;
  if (outcome.result === 'success') {
    const successes = state.successes + 1;
    return { result: successes >= plan.successThreshold ? 'success' : state.result, successes, failures: 0 };
  }
  const failures = state.failures + 1;
  return { result: failures >= plan.failureThreshold ? 'failure' : state.result, successes: 0, failures };
}

/** firstAttemptAt is when the first attempt is due (epoch ms) for an instance that started at `startedAtMs`. */
export function firstAttemptAt(startedAtMs: number, plan: Pick<ProbePlan, 'initialDelayMs'>): number {
  return startedAtMs + plan.initialDelayMs;
}

/** nextAttemptAt is when the attempt after one that began at `lastBeganMs` is due, seen at `now` (when that one ended). */
export function nextAttemptAt(lastBeganMs: number, now: number, plan: Pick<ProbePlan, 'periodMs'>): number {
  return Math.max(now, lastBeganMs + plan.periodMs);
}

/** How often, at most, one probe's failures become an event (the EventRecorder folds repeats into a count). */
export const UNHEALTHY_EVENT_INTERVAL_MS = 10_000;

/** shouldReportFailure tells whether a failed or errored attempt at `now` is worth an event, given the last one reported (epoch ms). */
export function shouldReportFailure(lastReportedMs: number | undefined, now: number): boolean {
  return lastReportedMs === undefined || now - lastReportedMs >= UNHEALTHY_EVENT_INTERVAL_MS;
}

/** unhealthyMessage is the event's text, in Kubernetes' words: "Readiness probe failed: …" or "… errored: …". */
export function unhealthyMessage(kind: ProbeKind, outcome: Exclude<ProbeOutcome, { result: 'success' }>): string {
  const name = `${kind[0]?.toUpperCase()}${kind.slice(1)}`;
  return `${name} probe ${outcome.result === 'failure' ? 'failed' : 'errored'}: ${outcome.message}`;
}
