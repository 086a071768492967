/**
 * The deciding half of a pod worker ("decide, then act"): what to do about each container of a
 * pod, as a pure function of the pod's spec, what the worker knows of each container and the
 * clock. The worker observes (inspects the runtime), calls decidePod, carries out the actions
 * it returns (runtime calls, events, status) and keeps each container's `next` restart state
 * for the following decision. Nothing here reads the clock, the runtime or the disk, so every
 * rule can be tested by calling decidePod with a made-up pod, made-up instances and a `now`.
 *
 * The rules, in the order decideContainer applies them:
 * - no instance: start instance 0, unless a retry (after a pull or create error) is pending;
 * - created but never started (an agent killed in between): let it run;
 * - running with another image than the spec names: kill it and start the next instance at
 *   once (not a crash: no back-off, whatever the restartPolicy, as Kubernetes does);
 * - running, but its liveness (or startup) probe found it failed: kill it (preStop, the probe's
 *   or the pod's grace period); its exit is then a crash like any other: restartPolicy and the
 *   back-off decide the restart, as Kubernetes does;
 * - running: nothing;
 * - exited without a recorded exit code: wait up to EXIT_RECORD_GRACE_MS for the monitor to
 *   record it (it does within ms; a monitor killed by hand never does, then the code is 255);
 * - exited and restartPolicy says so: the restart back-off of restart-backoff.ts, once per exit;
 * - exited for good: nothing.
 * A terminating pod (deleted or bound elsewhere) gets a kill for every running instance.
 *
 * Init containers come first (init-progress.ts): only the current one is decided, by the same
 * rules under its own restart policy (a failed one is retried unless the pod's is Never); the
 * app containers get `none` until every init container has completed. Sidecars (init
 * containers with restartPolicy Always) started so far are decided under Always, until the app
 * containers have finished for good (or initialization failed): then a running sidecar is
 * killed and none restarts.
 */
import type { Container, Pod, RestartPolicy } from '../../proto/objects/pod.js';
import { normalizeReference } from '../image/index.js';
import type { ContainerStatus as RuntimeContainer } from '../runtime/index.js';
import { instanceOf } from './container-naming.js';
import { initProgress, initRestartPolicy, isSidecar } from './init-progress.js';
import { crashesBeforeRestart, restartDelayMs } from './restart-backoff.js';

/** How long an ended instance may go without a recorded exit code before it counts as exit code 255. */
export const EXIT_RECORD_GRACE_MS = 2_000;
/** How often the worker looks again meanwhile (the monitor records the exit within ms). */
export const EXIT_RECORD_POLL_MS = 50;

/** RetryReason is used to say why no start may happen before a time: what the pod status shows meanwhile. */
export type RetryReason = 'CrashLoopBackOff' | 'CreateContainerError' | 'ImagePullBackOff';

/** WaitReason is used to say what a `wait` action waits for. */
export type WaitReason = RetryReason | 'ExitNotRecorded';

/** KillReason is used to say why a `kill` action stops a running instance. */
export type KillReason = 'ImageChanged' | 'PodTerminating' | 'LivenessProbeFailed' | 'StartupProbeFailed' | 'SidecarNoLongerNeeded';

/** FailedProbe is used to say which probe found an instance failed (a liveness or startup failure). */
export type FailedProbe = 'liveness' | 'startup';

/** ContainerAction is used to tell a pod worker what to do about one container now. */
export type ContainerAction =
  /** Create and start instance `instance` (pulling its image first when needed): a first start, or a restart whose back-off is over. */
  | { kind: 'start'; instance: number }
  /** Let instance `id`, created but never started (an agent killed between the two), run. */
  | { kind: 'resume'; id: string }
  /**
   * The current instance has exited and restartPolicy restarts it: instance `instance` starts
   * after `delayMs` of back-off. Returned once per exit (`next` then accounts the crash): with
   * 0 the worker starts it now; otherwise it tells the user (a BackOff event), and the later
   * decisions say `wait` until the delay is over, then `start`.
   */
  | { kind: 'restart'; instance: number; delayMs: number }
  /**
   * Stop running instance `id` (its stop signal, then SIGKILL after `gracePeriodMs`) for
   * `reason`; with `thenStart`, start that instance right after (not a crash: no back-off).
   */
  | { kind: 'kill'; id: string; reason: KillReason; gracePeriodMs: number; thenStart?: number }
  /** Nothing can be done before `until` (epoch ms), for `reason`: the worker looks again by then. */
  | { kind: 'wait'; until: number; reason: WaitReason }
  /** Nothing to do: the instance runs, or has finished for good under restartPolicy, or (terminating) nothing runs. */
  | { kind: 'none' };

/**
 * RestartState is used to carry, from one decision to the next, what the decisions have
 * accounted of a container's exits and failures. The worker keeps the `next` of each decision
 * and passes it back unchanged; only afterStart and afterCreateError change it in between.
 */
export interface RestartState {
  /** Crashes in a row (exits that restartPolicy restarts, and create errors): the back-off step. */
  crashes: number;
  /** No start before `at` (epoch ms), because of `reason`; `since` is when that back-off began (for a pull error). */
  retry?: { at: number; reason: RetryReason; since?: number };
  /** The instance whose exit has been accounted: its restart decided, or it was killed on purpose. */
  exitHandled?: string;
  /** Since when the current instance has ended without a recorded exit code (epoch ms). */
  exitUnrecordedSince?: number;
  /** The back-off chosen for the pending restart, for the CrashLoopBackOff message. */
  backoffMs?: number;
}

/** InstanceFacts is used for what a decision reads of one runtime instance of a container. */
export type InstanceFacts = Pick<RuntimeContainer, 'id' | 'state' | 'image' | 'exitCode' | 'startedAt' | 'finishedAt' | 'labels'>;

/** ContainerFacts is used for what a pod worker knows of one container when it decides. */
export interface ContainerFacts {
  /** The newest instance, as last inspected; none before the first start. */
  current?: InstanceFacts;
  restarts: RestartState;
  /** Instance `id` failed its liveness or startup probe (failureThreshold failures in a row). */
  unhealthy?: { id: string; probe: FailedProbe };
  /** The current instance's startup probe has succeeded (a sidecar with one lets the next init container start then). */
  startupPassed?: boolean;
}

/** PodDecisionInput is used to give decidePod everything it decides on. */
export interface PodDecisionInput {
  /** The pod as bound to the node: its containers, restartPolicy, terminationGracePeriodSeconds. */
  pod: Pod;
  /** What the worker knows of each container, by name; a container of the spec without an entry has never run. */
  containers: ReadonlyMap<string, ContainerFacts>;
  /** The clock (epoch ms). */
  now: number;
  /** The pod is leaving the node (deleted or bound elsewhere): running instances stop, nothing starts. */
  terminating: boolean;
}

/** ContainerDecision is used for what decidePod says about one container: the action, and the restart state to keep. */
export interface ContainerDecision {
  name: string;
  action: ContainerAction;
  next: RestartState;
}

/** newRestartState is the restart state of a container that has never run. */
export function newRestartState(): RestartState {
  return { crashes: 0 };
}

/**
 * decidePod is what to do about every container of a pod, one decision per container: those
 * of the spec in order (init containers first) or, for a terminating pod, every container the
 * worker knows of.
 */
export function decidePod(input: PodDecisionInput): ContainerDecision[] {
  const { pod, containers, now } = input;
  const gracePeriodMs = (pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
  if (input.terminating) {
    return [...containers].map(([name, facts]) => {
      const cur = facts.current;
      const action: ContainerAction = cur?.state === 'running' ? { kind: 'kill', id: cur.id, reason: 'PodTerminating', gracePeriodMs } : { kind: 'none' };
      return { name, action, next: facts.restarts };
    });
  }
  const progress = initProgress(pod, containers);
  const factsOf = (name: string): ContainerFacts => containers.get(name) ?? { restarts: newRestartState() };
  const idle = (name: string): ContainerDecision => ({ name, action: { kind: 'none' }, next: factsOf(name).restarts });
  const sidecarsDone = sidecarsNoLongerNeeded(pod, containers);
  const inits = (pod.spec.initContainers ?? []).map((spec, index): ContainerDecision => {
    const facts = factsOf(spec.name);
    if (isSidecar(spec)) {
      if (sidecarsDone) return stopSidecar(spec.name, facts, gracePeriodMs);
      const reached = progress.kind === 'initialized' || (progress.kind === 'initializing' && index <= progress.index);
      return reached ? { name: spec.name, ...decideContainer(spec, facts, 'Always', gracePeriodMs, now) } : idle(spec.name);
    }
    return progress.kind === 'initializing' && progress.index === index ? { name: spec.name, ...decideContainer(spec, facts, initRestartPolicy(pod), gracePeriodMs, now) } : idle(spec.name);
  });
  const apps = pod.spec.containers.map((spec) =>
    progress.kind === 'initialized' ? { name: spec.name, ...decideContainer(spec, factsOf(spec.name), pod.spec.restartPolicy, gracePeriodMs, now) } : idle(spec.name),
  );
  return [...inits, ...apps];
}

/** sidecarsNoLongerNeeded tells whether the pod's sidecars are to stop: its app containers have finished for good, or its initialization failed. */
export function sidecarsNoLongerNeeded(pod: Pod, containers: ReadonlyMap<string, ContainerFacts>): boolean {
  const progress = initProgress(pod, containers);
  return progress.kind === 'failed' || (progress.kind === 'initialized' && appsFinished(pod, containers));
}

/** appsFinished tells whether every app container has exited for good under the pod's restartPolicy (never under Always). */
function appsFinished(pod: Pod, containers: ReadonlyMap<string, ContainerFacts>): boolean {
  return pod.spec.containers.every((c) => {
    const cur = containers.get(c.name)?.current;
    return cur?.state === 'exited' && cur.exitCode !== undefined && !shouldRestart(pod.spec.restartPolicy, cur.exitCode);
  });
}

/** stopSidecar kills a sidecar still running once it is no longer needed; its exit is not restarted. */
function stopSidecar(name: string, facts: ContainerFacts, gracePeriodMs: number): ContainerDecision {
  const cur = facts.current;
  if (cur?.state !== 'running') return { name, action: { kind: 'none' }, next: facts.restarts };
  return { name, action: { kind: 'kill', id: cur.id, reason: 'SidecarNoLongerNeeded', gracePeriodMs }, next: { ...facts.restarts, exitHandled: cur.id } };
}

/** probeKillGraceMs is the grace period of a kill for a failed probe: the probe's own terminationGracePeriodSeconds, else the pod's. */
export function probeKillGraceMs(spec: Container, probe: FailedProbe, podGracePeriodMs: number): number {
  const own = (probe === 'liveness' ? spec.livenessProbe : spec.startupProbe)?.terminationGracePeriodSeconds;
  return own !== undefined ? own * 1000 : podGracePeriodMs;
}

function decideContainer(spec: Container, facts: ContainerFacts, policy: RestartPolicy | undefined, gracePeriodMs: number, now: number): Omit<ContainerDecision, 'name'> {
  const cur = facts.current;
  let next = facts.restarts;
  if (!cur) return startUnlessRetryPending(0, next, now);
  if (cur.state === 'created') return { action: { kind: 'resume', id: cur.id }, next };
  if (cur.state === 'running') {
    const failed = facts.unhealthy?.id === cur.id ? facts.unhealthy.probe : undefined;
    if (failed && !imageChanged(spec.image, cur.image)) {
      // Not marked handled: the exit that follows goes through restartPolicy and the back-off.
      const reason: KillReason = failed === 'liveness' ? 'LivenessProbeFailed' : 'StartupProbeFailed';
      return { action: { kind: 'kill', id: cur.id, reason, gracePeriodMs: probeKillGraceMs(spec, failed, gracePeriodMs) }, next };
    }
    if (!imageChanged(spec.image, cur.image)) return { action: { kind: 'none' }, next };
    const kill: ContainerAction = { kind: 'kill', id: cur.id, reason: 'ImageChanged', gracePeriodMs, thenStart: instanceOf(cur) + 1 };
    return { action: kill, next: { ...next, exitHandled: cur.id } };
  }
  if (cur.exitCode === undefined) {
    const since = next.exitUnrecordedSince ?? now;
    next = { ...next, exitUnrecordedSince: since };
    if (now - since < EXIT_RECORD_GRACE_MS) {
      return { action: { kind: 'wait', until: Math.min(now + EXIT_RECORD_POLL_MS, since + EXIT_RECORD_GRACE_MS), reason: 'ExitNotRecorded' }, next };
    }
  }
  if (!shouldRestart(policy, cur.exitCode ?? 255)) return { action: { kind: 'none' }, next };
  const instance = instanceOf(cur) + 1;
  if (next.exitHandled === cur.id) return startUnlessRetryPending(instance, next, now);
  const ranForMs = cur.startedAt && cur.finishedAt ? Date.parse(cur.finishedAt) - Date.parse(cur.startedAt) : undefined;
  const crashes = crashesBeforeRestart(next.crashes, ranForMs);
  const delayMs = restartDelayMs(crashes);
  return {
    action: { kind: 'restart', instance, delayMs },
    next: { ...next, exitHandled: cur.id, crashes: crashes + 1, backoffMs: delayMs, retry: { at: now + delayMs, reason: 'CrashLoopBackOff' } },
  };
}

function startUnlessRetryPending(instance: number, next: RestartState, now: number): Omit<ContainerDecision, 'name'> {
  if (next.retry && now < next.retry.at) return { action: { kind: 'wait', until: next.retry.at, reason: next.retry.reason }, next };
  return { action: { kind: 'start', instance }, next };
}

/** afterStart is the restart state once an instance has started: no retry or back-off pending; the crash count stays (a clean run resets it at its exit). */
export function afterStart(state: RestartState): RestartState {
  return { crashes: state.crashes, ...(state.exitHandled !== undefined ? { exitHandled: state.exitHandled } : {}) };
}

/** afterCreateError is the restart state once creating an instance failed: a crash, retried on the back-off schedule. */
export function afterCreateError(state: RestartState, now: number): RestartState {
  const crashes = state.crashes + 1;
  return { ...state, crashes, retry: { at: now + restartDelayMs(crashes), reason: 'CreateContainerError' } };
}

/** afterPullError is the restart state once pulling the image failed: retried after `delayMs`. */
export function afterPullError(state: RestartState, delayMs: number, now: number): RestartState {
  return { ...state, retry: { at: now + delayMs, reason: 'ImagePullBackOff', since: now } };
}

/** imageChanged tells whether the spec now names another image than the one an instance runs (normalized references). */
export function imageChanged(specImage: string, runningReference: string): boolean {
  try {
    return normalizeReference(specImage) !== normalizeReference(runningReference);
  } catch {
    return false; // an invalid reference fails at pull time, with its own message
  }
}

/** shouldRestart applies restartPolicy to an exit code. */
export function shouldRestart(policy: RestartPolicy | undefined, exitCode: number): boolean {
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return exitCode !== 0;
  return true;
}
