import type { Container } from '../../proto/objects/pod.js';
import type { KillReason } from './pod-decision.js';
import type { ProbeTarget } from '../probes/probe-checks.js';
import type { ContainerStatus as RuntimeContainer, Runtime } from '../runtime/index.js';
import { runHook, type RunAction } from './lifecycle-hooks.js';
import { remainingMs } from './termination-plan.js';

/** ContainerStopDeps is used by stopContainer: the runtime, how to run a hook's exec or httpGet, and where a failed hook is told. */
export interface ContainerStopDeps {
  runtime: Pick<Runtime, 'stop'>;
  runAction: RunAction;
  /** A preStop hook failed: `message` is the FailedPreStopHook event's text. */
  preStopFailed: (container: string, message: string) => void;
}

/** StopRequest is used to say which instance of which container stops, and by when it must be gone. */
export interface StopRequest {
  /** The container's spec: its preStop hook; absent for a container no longer in the spec. */
  spec?: Container;
  /** The container's name, for events. */
  name: string;
  /** The runtime instance. */
  id: string;
  /** How to reach the pod, for a preStop exec or httpGet. */
  target: ProbeTarget;
  /** SIGKILL at this time (epoch ms): the grace period covers the hook and the stop signal together. */
  deadline: number;
  /** `name_namespace(uid)`, for the hook's failure message. */
  podLabel: string;
}

/**
 * stopContainer stops one running instance as Kubernetes' kubelet does: the preStop hook first
 * (bounded by the grace period; a failure is told and the stop goes on), then the stop signal,
 * then SIGKILL at the deadline. Returns the instance as it ended.
 */
export async function stopContainer(deps: ContainerStopDeps, request: StopRequest): Promise<RuntimeContainer> {
  const preStop = request.spec?.lifecycle?.preStop;
  if (preStop && request.spec && remainingMs(request.deadline, Date.now()) > 0) {
    const result = await runHook(deps.runAction, preStop, request.spec, request.target, remainingMs(request.deadline, Date.now()), request.podLabel);
    if (!result.ok) deps.preStopFailed(request.name, result.message);
  }
  return deps.runtime.stop(request.id, remainingMs(request.deadline, Date.now()));
}

/** killMessage is the Killing event's text, in Kubernetes' words. */
export function killMessage(container: string, reason: KillReason): string {
  switch (reason) {
    case 'ImageChanged':
      return `Container ${container} definition changed, will be restarted`;
    case 'LivenessProbeFailed':
      return `Container ${container} failed liveness probe, will be restarted`;
    case 'StartupProbeFailed':
      return `Container ${container} failed startup probe, will be restarted`;
    case 'PodTerminating':
    case 'SidecarNoLongerNeeded':
      return `Stopping container ${container}`;
  }
}
