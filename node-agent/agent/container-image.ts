import type { Container, Pod } from '../../proto/objects/pod.js';
import type { ContainerRecord } from './container-record.js';
import { containerFieldPath } from './init-progress.js';
import type { EventReporter } from './event-reporter.js';
import type { ImagePuller } from './image-puller.js';
import { afterPullError } from './pod-decision.js';
import { pullRetryDelayMs } from './restart-backoff.js';

/** What ensureContainerImage needs of its pod's worker. */
export interface ImageContext {
  images: ImagePuller;
  events: EventReporter;
  pod: Pod;
  /** Report the pod's status now (the container shows ContainerCreating while its image is pulled). */
  reportStatus: () => void;
  /** Wake the worker again in `ms` (the next pull attempt). */
  wakeIn: (ms: number) => void;
}

/**
 * ensureContainerImage gives the image container `spec` runs, pulling it as its pull policy
 * says, and keeps the outcome in the container's record: the image for the next instances, or
 * the failure (ErrImagePull, then ImagePullBackOff between retries; the registry's words kept),
 * its back-off and events as Kubernetes shows them. Undefined when there is no image yet.
 */
export async function ensureContainerImage(ctx: ImageContext, spec: Container, rec: ContainerRecord): Promise<ContainerRecord['image']> {
  if (rec.image && rec.imageFor === spec.image) return rec.image;
  const field = containerFieldPath(ctx.pod, spec.name);
  const result = await ctx.images.ensure(spec, () => {
    rec.waiting = { reason: 'ContainerCreating' };
    ctx.reportStatus();
    ctx.events.pod(ctx.pod, 'Normal', 'Pulling', `Pulling image "${spec.image}"`, field);
  });
  if (result.kind === 'ready') {
    if (result.pulled) ctx.events.pod(ctx.pod, 'Normal', 'Pulled', `Successfully pulled image "${spec.image}" in ${result.tookMs}ms`, field);
    rec.image = result.image;
    rec.imageFor = spec.image;
    rec.pullFailures = 0;
    return result.image;
  }
  rec.pullFailures++;
  rec.waiting = { reason: result.reason, message: result.message };
  const delayMs = pullRetryDelayMs(rec.pullFailures);
  rec.restarts = afterPullError(rec.restarts, delayMs, Date.now());
  ctx.events.pod(ctx.pod, 'Warning', 'Failed', `Failed to pull image "${spec.image}": ${result.message}`, field);
  // Half-way through the back-off the worker looks again and shows ImagePullBackOff (waitingInPullBackOff).
  ctx.wakeIn(Math.floor(delayMs / 2));
  return undefined;
}

/**
 * waitingInPullBackOff is what a container shows at a sync during its image pull back-off, as
 * the kubelet shows it: each failed attempt shows ErrImagePull until half the back-off has
 * passed (`halfOver`), then ImagePullBackOff, the registry's message kept, until the next attempt.
 */
export function waitingInPullBackOff(waiting: ContainerRecord['waiting'], halfOver: boolean): ContainerRecord['waiting'] {
  if (waiting?.reason !== 'ErrImagePull' || !halfOver) return waiting;
  return { ...waiting, reason: 'ImagePullBackOff' };
}
