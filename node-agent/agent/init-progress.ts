/**
 * Init containers: how far a pod's initialization has got, as a pure function of what the pod
 * worker knows of its containers. Kubernetes' rules: the init containers run one at a time, in
 * order, each to completion (exit 0) before the next starts, and the app containers start only
 * once all of them have; a failed one is restarted (with the back-off) unless restartPolicy is
 * Never, which fails the pod. A sidecar (an init container with restartPolicy Always) only has to
 * have started (its startup probe passed, if it has one) for the next to start; it keeps running
 * beside the app containers, restarted whatever the pod's restartPolicy, and is stopped once the
 * app containers have finished for good. A pod any of whose app containers has an instance is
 * initialized for good: a restarted agent (or one whose init instances were removed) never runs
 * the init containers again.
 */
import type { Container, Pod, RestartPolicy } from '../../proto/objects/pod.js';
import { instanceOf } from './container-naming.js';
import type { ContainerFacts } from './pod-decision.js';

/** InitProgress is used to say where a pod's initialization stands. */
export type InitProgress =
  /** Every init container has completed (or an app container has run): the app containers may run. */
  | { kind: 'initialized' }
  /** Init container `index` (of spec.initContainers) is the one to start, run, restart or wait for. */
  | { kind: 'initializing'; index: number }
  /** Init container `index` failed and restartPolicy Never forbids a retry: the pod has failed. */
  | { kind: 'failed'; index: number };

/** allContainers is every container of a pod's spec: the init containers first, in order, then the app containers. */
export function allContainers(pod: Pod): Container[] {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
}

/** isSidecar tells whether a container is a sidecar: an init container with restartPolicy Always. */
export function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

/** sidecars are the pod's init containers with restartPolicy Always, in order. */
export function sidecars(pod: Pod): Container[] {
  return (pod.spec.initContainers ?? []).filter(isSidecar);
}

/** isInitContainer tells whether container `name` is one of the pod's init containers. */
export function isInitContainer(pod: Pod, name: string): boolean {
  return (pod.spec.initContainers ?? []).some((c) => c.name === name);
}

/** containerFieldPath is the fieldPath of a container's events: `spec.initContainers{name}` or `spec.containers{name}`. */
export function containerFieldPath(pod: Pod, name: string): string {
  return `${isInitContainer(pod, name) ? 'spec.initContainers' : 'spec.containers'}{${name}}`;
}

/**
 * initRestartPolicy is the restart policy of init containers: a failed one is retried unless
 * the pod's policy is Never; one that completed never runs again (Always acts as OnFailure).
 */
export function initRestartPolicy(pod: Pod): RestartPolicy {
  return pod.spec.restartPolicy === 'Never' ? 'Never' : 'OnFailure';
}

/**
 * initProgress is where the pod's initialization stands, from what the worker knows of its
 * containers. An exit not recorded yet keeps its init container the current one: its decision
 * waits for the record (and, under Never, does nothing once the wait is over: the pod's status
 * then shows it failed with 255).
 */
export function initProgress(pod: Pod, containers: ReadonlyMap<string, ContainerFacts>): InitProgress {
  if (pod.spec.containers.some((c) => containers.get(c.name)?.current !== undefined)) return { kind: 'initialized' };
  const inits = pod.spec.initContainers ?? [];
  for (const [index, spec] of inits.entries()) {
    const facts = containers.get(spec.name);
    const cur = facts?.current;
    if (isSidecar(spec)) {
      if (facts && sidecarStarted(spec, facts)) continue;
      return { kind: 'initializing', index };
    }
    if (cur?.state !== 'exited' || cur.exitCode === undefined) return { kind: 'initializing', index };
    if (cur.exitCode === 0) continue;
    return initRestartPolicy(pod) === 'Never' ? { kind: 'failed', index } : { kind: 'initializing', index };
  }
  return { kind: 'initialized' };
}

/** A sidecar has started once an instance of it has run, past its startup probe if it has one; a crash later does not hold the others up again. */
function sidecarStarted(spec: Container, facts: ContainerFacts): boolean {
  const cur = facts.current;
  if (!cur?.startedAt || cur.state === 'created') return false;
  return !spec.startupProbe || facts.startupPassed === true || instanceOf(cur) > 0;
}
