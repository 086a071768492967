import type { PodInfo } from './pod-info.js';
import type { ClusterSnapshot, NodeInfo } from './snapshot.js';
import { preferNodeAffinity } from './node-affinity.js';
import { preferPodAffinity } from './pod-affinity.js';

/** Scorer ranks a node that passed every filter: higher is better. Pure, like filters. */
export type Scorer = (pod: PodInfo, node: NodeInfo, snapshot: ClusterSnapshot) => number;

/** spreadOwner prefers nodes with fewer replicas of the pod's controller (0 for a pod without one). */
export const spreadOwner: Scorer = (pod, node) => (pod.ownerUid ? -(node.owners.get(pod.ownerUid) ?? 0) : 0);

/**
 * leastAllocated prefers the node with the most cpu and memory left after placing the pod
 * (Kubernetes' LeastAllocated, equal weights): the mean free fraction, in [0, 1].
 */
export const leastAllocated: Scorer = (pod, node) => {
  const a = node.allocatable;
  const cpu = a.cpuMillis > 0 ? Math.max(0, a.cpuMillis - node.nonZeroRequested.cpuMillis - pod.nonZeroCpuMillis) / a.cpuMillis : 0;
  const mem = a.memoryBytes > 0 ? Math.max(0, a.memoryBytes - node.nonZeroRequested.memoryBytes - pod.nonZeroMemoryBytes) / a.memoryBytes : 0;
  return (cpu + mem) / 2;
};

/**
 * SCORERS in order of precedence, compared lexicographically. What the pod itself prefers comes
 * first (preferred node affinity, then preferred pod affinity and anti-affinity): the user asked
 * for it. Spreading replicas matters more than balancing load (losing a node should cost a
 * Deployment as few replicas as possible), and load only breaks ties between equally spread
 * nodes. Remaining ties go to the node name.
 */
export const SCORERS: readonly Scorer[] = [preferNodeAffinity, preferPodAffinity, spreadOwner, leastAllocated];
