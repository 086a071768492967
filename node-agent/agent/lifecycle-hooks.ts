/**
 * Lifecycle hooks (postStart, preStop): what a handler does, and running it once. exec runs in
 * the container as `berth exec` does, httpGet goes to the pod's IP as a probe's does (both
 * through the probe checker), sleep waits. Every run ends within its timeout.
 */
import type { Container, LifecycleHandler } from '../../proto/objects/pod.js';
import type { ProbeTarget } from '../probes/probe-checks.js';
import { probeAction, type ProbeAction } from '../probes/probe-plan.js';
import type { ProbeOutcome } from '../probes/probe-state.js';

/** HookAction is used to say what running one hook does. */
export type HookAction =
  | { kind: 'probe'; action: ProbeAction }
  /** Wait this long (sleep handler). */
  | { kind: 'sleep'; ms: number }
  /** Nothing: a handler Kubernetes no longer runs (tcpSocket) or none at all. */
  | { kind: 'none'; why: string };

/** RunAction is used to make one exec or httpGet within a timeout (ProbeChecker.run in the agent). */
export type RunAction = (action: ProbeAction, target: ProbeTarget, timeoutMs: number) => Promise<ProbeOutcome>;

/** HookResult is used for how running a hook went: `message` says why it failed, in Kubernetes' words. */
export type HookResult = { ok: true } | { ok: false; message: string };

/** hookAction is what `handler` of `container` does. Pure. */
export function hookAction(handler: LifecycleHandler, container: Container): HookAction {
  if (handler.sleep) return { kind: 'sleep', ms: Math.max(0, handler.sleep.seconds) * 1000 };
  // Kubernetes accepts a tcpSocket hook for compatibility and does not run it.
  if (handler.tcpSocket && !handler.exec && !handler.httpGet) return { kind: 'none', why: 'tcpSocket lifecycle hooks are not run (Kubernetes deprecated them)' };
  const action = probeAction(handler, container);
  return action ? { kind: 'probe', action } : { kind: 'none', why: 'the hook names no handler' };
}

/** hookFailureMessage is the event's text for a failed hook, as the kubelet words it. */
export function hookFailureMessage(action: ProbeAction, container: string, podLabel: string, error: string): string {
  const what = action.kind === 'exec' ? `Exec lifecycle hook ([${action.command.join(' ')}])` : action.kind === 'httpGet' ? `HTTP lifecycle hook (${action.path})` : 'TCP lifecycle hook';
  return `${what} for Container "${container}" in Pod "${podLabel}" failed - error: ${error}`;
}

/** runHook runs `handler` of `container` once against `target`, within `timeoutMs`. */
export async function runHook(run: RunAction, handler: LifecycleHandler, container: Container, target: ProbeTarget, timeoutMs: number, podLabel: string): Promise<HookResult> {
  const what = hookAction(handler, container);
  if (what.kind === 'none') return { ok: true };
  if (what.kind === 'sleep') {
    await new Promise((resolve) => setTimeout(resolve, Math.min(what.ms, timeoutMs)));
    return { ok: true };
  }
  let outcome: ProbeOutcome;
  try {
    outcome = await run(what.action, target, Math.max(1, timeoutMs));
  } catch (err) {
    outcome = { result: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  return outcome.result === 'success' ? { ok: true } : { ok: false, message: hookFailureMessage(what.action, container.name, podLabel, outcome.message) };
}

/**
 * How long a postStart hook may run. Kubernetes sets no bound (a hook that hangs leaves the
 * container half-started for ever); Berth kills the container after this, as for a failure.
 */
export const POST_START_TIMEOUT_MS = 120_000;
