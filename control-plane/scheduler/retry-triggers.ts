import type { Node } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import { findCondition } from '../../proto/objects/conditions.js';

/*
 * Which informer changes are worth another scheduling attempt. Status-only updates (heartbeats,
 * the scheduler's own Unschedulable condition) are not: retrying on them would spin.
 */

/** podSpecChanged: the pod asks for something else now (spec or labels), so its verdict may differ. */
export function podSpecChanged(a: Pod, b: Pod): boolean {
  return JSON.stringify(a.spec) !== JSON.stringify(b.spec) || JSON.stringify(a.metadata.labels) !== JSON.stringify(b.metadata.labels);
}

/** schedulingView is what of a Node the filters read; two nodes with the same view fit the same pods. */
export function schedulingView(n: Node): string {
  const ready = findCondition(n.status?.conditions, 'Ready')?.status;
  return JSON.stringify([n.spec, n.metadata.labels, n.status?.allocatable, ready]);
}

/**
 * boundPodChanged: a pod now holds a node it did not, or holds one with other labels. A parked
 * pod whose required pod affinity wants such a pod may fit now.
 */
export function boundPodChanged(previous: Pod | undefined, pod: Pod): boolean {
  if (!pod.spec.nodeName) return false;
  return !previous?.spec.nodeName || previous.spec.nodeName !== pod.spec.nodeName || JSON.stringify(previous.metadata.labels) !== JSON.stringify(pod.metadata.labels);
}
