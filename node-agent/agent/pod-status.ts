/**
 * Computing a pod's status from what the agent observes. Pure: the pod worker gathers the
 * observations, these functions shape them the Kubernetes way, and the status reporter sends
 * the result only when it differs from the last one sent.
 */
import { transitionTime } from '../../proto/objects/conditions.js';
import type { Condition } from '../../proto/objects/meta.js';
import type { ContainerState, ContainerStatus, Pod, PodPhase, PodStatus } from '../../proto/objects/pod.js';
import type { ProbeResult } from '../probes/probe-state.js';

/** TerminatedView is one finished instance of a container. */
export interface TerminatedView {
  exitCode: number;
  oomKilled: boolean;
  startedAt?: string;
  finishedAt?: string;
  containerID?: string;
}

/**
 * ContainerView is used for what the agent knows of one container of the pod: the state of
 * its current instance (or why there is none yet) and the instance before it.
 */
export interface ContainerView {
  name: string;
  /** The image from the pod spec. */
  image: string;
  /** `<repository>@<digest>` once pulled. */
  imageID: string;
  containerID?: string;
  restartCount: number;
  state:
    | { kind: 'waiting'; reason: string; message?: string }
    | { kind: 'running'; startedAt?: string }
    | ({ kind: 'terminated' } & TerminatedView);
  lastTerminated?: TerminatedView;
  /** True when this terminated container will not be started again (restartPolicy). */
  finished: boolean;
  /** Has an instance ever started (for the Pending → Running phase). */
  everStarted: boolean;
  /** What the container's readiness probe says; undefined when it has none (then running is ready). */
  readiness?: ProbeResult;
  /** Whether the running instance's startup probe has succeeded; undefined when it has none (then running is started). */
  startupPassed?: boolean;
  /** A sidecar (init container with restartPolicy Always): done with initialization once started, then ready like an app container. */
  sidecar?: boolean;
}

/** PodObservation is the input of computePodStatus. */
export interface PodObservation {
  hostIP: string;
  podIP?: string;
  startTime: string;
  containers: ContainerView[];
  /** The init containers, as far as known (none when the pod has none). */
  initContainers?: ContainerView[];
}

/** terminatedReason is Kubernetes' reason for a finished instance. */
export function terminatedReason(t: Pick<TerminatedView, 'exitCode' | 'oomKilled'>): 'OOMKilled' | 'Completed' | 'Error' {
  if (t.oomKilled) return 'OOMKilled';
  return t.exitCode === 0 ? 'Completed' : 'Error';
}

function terminatedState(t: TerminatedView): ContainerState {
  return {
    terminated: {
      exitCode: t.exitCode,
      reason: terminatedReason(t),
      ...(t.startedAt ? { startedAt: t.startedAt } : {}),
      ...(t.finishedAt ? { finishedAt: t.finishedAt } : {}),
      ...(t.containerID ? { containerID: t.containerID } : {}),
    },
  };
}

/** isContainerReady: a running container is ready unless its readiness probe has not passed (Kubernetes' rule). */
export function isContainerReady(view: ContainerView): boolean {
  return view.state.kind === 'running' && (view.readiness === undefined || view.readiness === 'success');
}

/** isInitCompleted: an init container is done (and counts as ready, as Kubernetes reports it) once it has exited 0; a sidecar once it has started. */
export function isInitCompleted(view: ContainerView): boolean {
  if (view.sidecar) return view.state.kind === 'running' && view.startupPassed !== false;
  return view.state.kind === 'terminated' && view.state.exitCode === 0;
}

/** initContainerStatus shapes the ContainerView of an init container: ready once completed (a sidecar: as an app container). */
export function initContainerStatus(view: ContainerView): ContainerStatus {
  return { ...containerStatus(view), ready: view.sidecar ? isContainerReady(view) : isInitCompleted(view) };
}

/** containerStatus shapes one ContainerView. */
export function containerStatus(view: ContainerView): ContainerStatus {
  const s = view.state;
  const state: ContainerState =
    s.kind === 'waiting'
      ? { waiting: { reason: s.reason, ...(s.message ? { message: s.message } : {}) } }
      : s.kind === 'running'
        ? { running: s.startedAt ? { startedAt: s.startedAt } : {} }
        : terminatedState(s);
  return {
    name: view.name,
    state,
    lastState: view.lastTerminated ? terminatedState(view.lastTerminated) : {},
    ready: isContainerReady(view),
    restartCount: view.restartCount,
    image: view.image,
    imageID: view.imageID,
    ...(view.containerID ? { containerID: view.containerID } : {}),
    started: s.kind === 'running' && view.startupPassed !== false,
  };
}

/**
 * podPhase follows Kubernetes: Succeeded/Failed once every container is finished for good
 * (Failed when any ended non-zero); Running once every container has started and one runs or
 * will restart; Pending before.
 */
export function podPhase(containers: ContainerView[]): PodPhase {
  if (containers.length > 0 && containers.every((c) => c.finished)) {
    return containers.every((c) => c.state.kind === 'terminated' && c.state.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  if (containers.length > 0 && containers.every((c) => c.everStarted)) return 'Running';
  return 'Pending';
}

/** Keeps a condition's lastTransitionTime when its status did not change. */
function condition(type: string, ok: boolean, previous: Condition[] | undefined, now: string, reason?: string, message?: string): Condition {
  const status = ok ? 'True' : 'False';
  return {
    type,
    status,
    ...(reason && !ok ? { reason } : {}),
    ...(message && !ok ? { message } : {}),
    lastProbeTime: null,
    lastTransitionTime: transitionTime(previous, { type, status }, now),
  };
}

/**
 * initializingPhase is the phase of a pod whose init containers have not all completed:
 * Failed once one has failed for good (restartPolicy Never), Pending before.
 */
function initializingPhase(inits: ContainerView[]): PodPhase {
  return inits.some((c) => c.finished && !isInitCompleted(c)) ? 'Failed' : 'Pending';
}

/** A pod whose app containers have finished is still Running while a sidecar has not stopped yet, as Kubernetes reports it. */
function finalOnceSidecarsStopped(phase: PodPhase, inits: ContainerView[]): PodPhase {
  const final = phase === 'Succeeded' || phase === 'Failed';
  return final && inits.some((c) => c.sidecar && c.state.kind === 'running') ? 'Running' : phase;
}

/** computePodStatus builds the status to report; `previous` keeps transition times stable. */
export function computePodStatus(pod: Pod, obs: PodObservation, previous: PodStatus | undefined, now: string): PodStatus {
  const statuses = pod.spec.containers.map((spec) => obs.containers.find((c) => c.name === spec.name)).filter((c): c is ContainerView => c !== undefined);
  const inits = (pod.spec.initContainers ?? []).map((spec) => obs.initContainers?.find((c) => c.name === spec.name)).filter((c): c is ContainerView => c !== undefined);
  // An app container that has run means initialization is over, even when the init containers' instances are gone.
  const incomplete = statuses.some((c) => c.everStarted || c.containerID !== undefined) ? [] : inits.filter((c) => !isInitCompleted(c)).map((c) => c.name);
  const phase = incomplete.length > 0 ? initializingPhase(inits) : finalOnceSidecarsStopped(podPhase(statuses), inits);
  const unready = [...inits.filter((c) => c.sidecar), ...statuses].filter((c) => !isContainerReady(c)).map((c) => c.name);
  const allReady = statuses.length > 0 && unready.length === 0;
  const prev = previous?.conditions;
  const finished = phase === 'Succeeded' || phase === 'Failed';
  const reason = finished ? 'PodCompleted' : 'ContainersNotReady';
  const message = finished ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  return {
    phase,
    conditions: [
      condition('Initialized', incomplete.length === 0, prev, now, 'ContainersNotInitialized', `containers with incomplete status: [${incomplete.join(' ')}]`),
      condition('Ready', allReady, prev, now, reason, message),
      condition('ContainersReady', allReady, prev, now, reason, message),
      condition('PodScheduled', true, prev, now),
    ],
    hostIP: obs.hostIP,
    ...(obs.podIP ? { podIP: obs.podIP, podIPs: [{ ip: obs.podIP }] } : {}),
    startTime: obs.startTime,
    ...(inits.length > 0 ? { initContainerStatuses: inits.map(initContainerStatus) } : {}),
    containerStatuses: statuses.map(containerStatus),
  };
}
