import { findCondition, setCondition } from '../../proto/objects/conditions.js';
import type { Condition } from '../../proto/objects/meta.js';
import type { Pod } from '../../proto/objects/pod.js';

/**
 * boundPod is the pod as the binding writes it: spec.nodeName set and PodScheduled True.
 * It copies only what it changes and leaves the informer's object untouched.
 * `now` is chosen before any transaction.
 */
export function boundPod(pod: Pod, nodeName: string, now: string): Pod {
  return {
    ...pod,
    spec: { ...pod.spec, nodeName },
    status: { ...pod.status, conditions: setCondition(pod.status?.conditions, { type: 'PodScheduled', status: 'True', lastProbeTime: null }, now) },
  };
}

/**
 * unschedulablePod returns the pod with PodScheduled False, reason Unschedulable and this
 * message, or undefined when the pod already says exactly that (so retries write nothing).
 */
export function unschedulablePod(pod: Pod, message: string, now: string): Pod | undefined {
  const current = findCondition(pod.status?.conditions, 'PodScheduled');
  if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message) return undefined;
  const condition: Condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null };
  return {
    ...pod,
    status: { phase: 'Pending', ...pod.status, conditions: setCondition(pod.status?.conditions, condition, now) },
  };
}
