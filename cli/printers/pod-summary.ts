import type { ContainerState, ContainerStatus, Pod } from '../../proto/objects/pod.js';
import { findCondition } from '../../proto/objects/conditions.js';

/** PodSummary is used for the READY, STATUS and RESTARTS columns of `berth get pods`. */
export interface PodSummary {
  /** `ready/total` app containers and sidecars. */
  ready: string;
  /** kubectl's reason-first status: Running, Init:1/2, Init:Error, PodInitializing, CrashLoopBackOff, Completed, NotReady… */
  status: string;
  restarts: number;
}

/**
 * podSummary follows kubectl's printPod: the phase (or the pod's reason), overridden by the
 * first init container that has not completed (Init:<reason> or Init:N/M) while the pod is
 * initializing, else by the first app container with a waiting or terminated reason;
 * `Completed` with a container still running reads Running (or NotReady without the Ready
 * condition); a pod being deleted reads Terminating until its phase is final. Sidecars (init
 * containers with restartPolicy Always) count among the containers of READY, and their restarts
 * in RESTARTS, once they have started.
 */
export function podSummary(pod: Pod): PodSummary {
  const status = pod.status ?? {};
  let reason: string = status.reason || status.phase || 'Pending';
  let restarts = 0;
  let sidecarRestarts = 0;
  let ready = 0;
  const inits = status.initContainerStatuses ?? [];
  const sidecars = new Set((pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  let initializing = false;
  for (const [i, c] of inits.entries()) {
    restarts += c.restartCount;
    if (sidecars.has(c.name)) sidecarRestarts += c.restartCount;
    if (sidecars.has(c.name) && c.started) {
      if (c.ready) ready++;
      continue;
    }
    const initReason = initContainerReason(c.state, i, inits.length);
    if (initReason === undefined) continue;
    reason = initReason;
    initializing = true;
    break;
  }
  if (!initializing || findCondition(status.conditions, 'Initialized')?.status === 'True') {
    restarts = sidecarRestarts;
    let hasRunning = false;
    // Backwards, as kubectl: the first container's reason wins.
    for (const c of [...(status.containerStatuses ?? [])].reverse()) {
      restarts += c.restartCount;
      const own = containerReason(c);
      if (own !== undefined) reason = own;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = findCondition(status.conditions, 'Ready')?.status === 'True' ? 'Running' : 'NotReady';
  }
  if (pod.metadata.deletionTimestamp && status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';
  return { ready: `${ready}/${pod.spec.containers.length + sidecars.size}`, status: reason, restarts };
}

/** The STATUS an init container gives while the pod initializes; undefined once it has completed. */
function initContainerReason(state: ContainerState | undefined, index: number, total: number): string | undefined {
  const t = state?.terminated;
  if (t && t.exitCode === 0) return undefined;
  if (t) return t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
  const waiting = state?.waiting?.reason;
  if (waiting && waiting !== 'PodInitializing') return `Init:${waiting}`;
  return `Init:${index}/${total}`;
}

/** The STATUS an app container gives: its waiting or terminated reason; undefined when it has none (running). */
function containerReason(c: ContainerStatus): string | undefined {
  const { waiting, terminated } = c.state ?? {};
  if (waiting?.reason) return waiting.reason;
  if (terminated) return terminated.reason || (terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`);
  return undefined;
}
