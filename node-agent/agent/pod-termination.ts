import type { Logger } from 'winston';
import { isNotFound, isTransient, isUnimplemented, type PodRef } from './node-client.js';
import { drainTimeoutMs, finishRetryDelayMs, type TerminationPlan } from './termination-plan.js';

/** TerminationControl is used to tell the control plane about a pod's graceful termination (NodeClient in the agent). */
export interface TerminationControl {
  waitEndpointsDrained(pod: PodRef, timeoutMs: number): Promise<{ drained: boolean; message: string }>;
  finishPodTermination(pod: PodRef): Promise<void>;
}

/** RunningInstance is used to name one running container instance a termination stops. */
export interface RunningInstance {
  name: string;
  id: string;
  /** A sidecar (init container with restartPolicy Always): stopped after the app containers. */
  sidecar?: boolean;
}

/** TerminationSteps is used by runTermination for what only the pod worker can do. */
export interface TerminationSteps {
  /** The instances that run when termination begins. */
  running: RunningInstance[];
  /** Stop one (preStop, stop signal, SIGKILL at `deadline`); never throws. */
  stop(instance: RunningInstance, deadline: number): Promise<void>;
  /** Remove the containers, then release the pod's network namespace and cgroup. */
  release(): Promise<void>;
  /**
   * After the drain: wait, at most until `until` (epoch ms), for the connections routed to the
   * pod before the drain that still wait to be accepted (accept-queues.ts); never throws.
   */
  settleAccepts?(until: number): Promise<void>;
}

/** The longest the agent waits for queued connections to be accepted before the stop signal. */
export const SETTLE_ACCEPTS_MAX_MS = 1_000;

/**
 * runTermination carries out a termination plan (termination-plan.ts): the drain wait, the
 * containers' stop, the release of the network, and FinishPodTermination. A control plane that
 * cannot answer the drain wait (an older one, or unreachable) costs a log line, not the stop.
 */
export async function runTermination(pod: PodRef, plan: TerminationPlan, steps: TerminationSteps, control: TerminationControl, logger: Logger): Promise<void> {
  if (plan.drain) {
    await waitDrained(pod, plan, control, logger);
    await steps.settleAccepts?.(Math.min(Date.now() + SETTLE_ACCEPTS_MAX_MS, Date.now() + drainTimeoutMs(plan, Date.now())));
  }
  // All at once: each container's preStop and stop signal share the one grace period. Sidecars
  // go once the app containers have stopped, the last started first, as Kubernetes stops them.
  await Promise.all(steps.running.filter((i) => !i.sidecar).map((instance) => steps.stop(instance, plan.deadline)));
  for (const sidecar of steps.running.filter((i) => i.sidecar).reverse()) await steps.stop(sidecar, plan.deadline);
  await steps.release();
  if (plan.finish) await finishTermination(pod, control, logger);
}

async function waitDrained(pod: PodRef, plan: TerminationPlan, control: TerminationControl, logger: Logger): Promise<void> {
  const timeoutMs = drainTimeoutMs(plan, Date.now());
  if (timeoutMs <= 0) return;
  const started = Date.now();
  try {
    const { drained, message } = await control.waitEndpointsDrained(pod, timeoutMs);
    if (drained) logger.debug('pod endpoints drained', { pod: `${pod.namespace}/${pod.name}`, ms: Date.now() - started });
    else logger.warn('pod endpoints not drained within the grace period; stopping it anyway', { pod: `${pod.namespace}/${pod.name}`, waiting: message });
  } catch (err) {
    const why = isUnimplemented(err) ? 'the control plane does not serve WaitEndpointsDrained' : String(err);
    logger.warn('cannot wait for the pod endpoints to drain; stopping it now', { pod: `${pod.namespace}/${pod.name}`, error: why });
  }
}

/**
 * finishTermination calls FinishPodTermination until it succeeds, retrying transient failures
 * (1 s doubling to 10 s); NOT_FOUND (the pod object is gone already, or is another instance)
 * ends it quietly, any other refusal with a log line.
 */
export async function finishTermination(pod: PodRef, control: TerminationControl, logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await control.finishPodTermination(pod);
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (!isTransient(err)) {
        logger.error('FinishPodTermination refused; the pod object stays Terminating', { pod: `${pod.namespace}/${pod.name}`, uid: pod.uid, error: String(err) });
        return;
      }
      const delay = finishRetryDelayMs(attempt);
      logger.warn('FinishPodTermination failed; retrying', { pod: `${pod.namespace}/${pod.name}`, uid: pod.uid, error: String(err), retryInMs: delay });
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  }
}
