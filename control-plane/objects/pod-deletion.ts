import type { Pod } from '../../proto/objects/pod.js';
import { apiTimestamp } from '../../proto/time.js';

/** The pure decisions of graceful pod deletion, tested without etcd. */

/** The grace period of a pod that does not name one (Kubernetes' default). */
export const DEFAULT_GRACE_PERIOD_SECONDS = 30;

/** PodDeleteRequest is what a deleter asks for (ClusterAPI's DeleteRequest, a controller's choice). */
export interface PodDeleteRequest {
  /** Seconds the pod gets to stop; 0 or absent: the pod's spec.terminationGracePeriodSeconds. */
  gracePeriodSeconds?: number;
  /** Remove the object at once, without waiting for its node to stop it. */
  force?: boolean;
}

/**
 * PodDeletionPlan is what one delete does to a pod:
 * - remove: the object goes at once (`why` says which rule decided it);
 * - terminate: the object stays with a deletionTimestamp until its node's agent finishes it;
 * - unchanged: already terminating, and this request does not shorten the grace period.
 */
export type PodDeletionPlan =
  | { kind: 'remove'; why: 'force' | 'unbound' | 'finished' | 'no-grace' | 'node-gone' }
  | { kind: 'terminate'; pod: Pod }
  | { kind: 'unchanged' };

/** gracePeriodFor: the request's grace period when it names one, else the pod's own (30 s by default). */
export function gracePeriodFor(pod: Pod, request: PodDeleteRequest): number {
  if (request.gracePeriodSeconds !== undefined && request.gracePeriodSeconds > 0) return Math.floor(request.gracePeriodSeconds);
  return pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
}

/**
 * planPodDeletion decides one delete of `pod` (Kubernetes' graceful deletion of pods). A pod
 * that no node runs (unbound, or its node object is gone), that has finished (Succeeded or
 * Failed: nothing of it runs any more, or its node was lost), whose grace period is 0, or a
 * forced delete, is removed at once. Otherwise the pod gets deletionTimestamp = now + grace and
 * deletionGracePeriodSeconds = grace, and stays until its agent calls FinishPodTermination. A
 * second delete may shorten the grace period, counted from when termination began, never
 * lengthen it. `nodeExists` is asked only for a bound pod. Does not change `pod`.
 */
export function planPodDeletion(pod: Pod, request: PodDeleteRequest, nowMs: number, nodeExists: (name: string) => boolean): PodDeletionPlan {
  if (request.force) return { kind: 'remove', why: 'force' };
  const nodeName = pod.spec.nodeName;
  if (!nodeName) return { kind: 'remove', why: 'unbound' };
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { kind: 'remove', why: 'finished' };
  if (!nodeExists(nodeName)) return { kind: 'remove', why: 'node-gone' };
  const started = pod.metadata.deletionTimestamp;
  const current = pod.metadata.deletionGracePeriodSeconds;
  let grace: number;
  let deadlineMs: number;
  if (started !== undefined && current !== undefined) {
    const requested = request.gracePeriodSeconds ?? 0;
    if (requested <= 0 || requested >= current) return { kind: 'unchanged' };
    grace = Math.floor(requested);
    deadlineMs = Date.parse(started) - current * 1000 + grace * 1000;
  } else {
    grace = gracePeriodFor(pod, request);
    deadlineMs = nowMs + grace * 1000;
  }
  if (grace <= 0) return { kind: 'remove', why: 'no-grace' };
  return { kind: 'terminate', pod: { ...pod, metadata: { ...pod.metadata, deletionTimestamp: apiTimestamp(deadlineMs), deletionGracePeriodSeconds: grace } } };
}
