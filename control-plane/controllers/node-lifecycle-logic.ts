import type { Node } from '../../proto/objects/cluster.js';
import type { Condition } from '../../proto/objects/meta.js';
import type { Pod } from '../../proto/objects/pod.js';
import { findCondition, setCondition } from '../../proto/objects/conditions.js';

/** The pure decisions of the node-lifecycle controller, tested without etcd. */

export const NODE_STATUS_UNKNOWN = 'NodeStatusUnknown';
export const NODE_LOST = 'NodeLost';

/** NodeHealth is what the lease says about a node, judged on this controller's own clock. */
export type NodeHealth = { kind: 'fresh'; staleInMs: number } | { kind: 'stale' };

/**
 * judgeLease: a lease is stale when the controller has not seen its renewTime change for the
 * grace period. Time is measured from when the change was observed, not from the renewTime
 * written by another machine, so clock skew between machines cannot make a node NotReady (as in
 * Kubernetes' node-lifecycle controller). A new leader thus gives every node a full grace period.
 */
export function judgeLease(observedAtMs: number, nowMs: number, gracePeriodMs: number): NodeHealth {
  const age = nowMs - observedAtMs;
  return age >= gracePeriodMs ? { kind: 'stale' } : { kind: 'fresh', staleInMs: gracePeriodMs - age };
}

export function nodeReadyCondition(node: Node): Condition | undefined {
  return findCondition(node.status?.conditions, 'Ready');
}

/** NodeAction is the one write reconcile makes to a Node, if any. */
export type NodeAction = { kind: 'none' } | { kind: 'markNotReady' } | { kind: 'markReady' };

/**
 * decideNodeAction: flip to NotReady only when the lease is stale, and back to Ready only when
 * it is fresh and the NotReady was ours (NodeStatusUnknown), so the controller never fights the
 * agent, which posts its own status.
 */
export function decideNodeAction(node: Node, health: NodeHealth): NodeAction {
  const ready = nodeReadyCondition(node);
  if (health.kind === 'stale') return ready?.status === 'Unknown' ? { kind: 'none' } : { kind: 'markNotReady' };
  if (ready && ready.status !== 'True' && ready.reason === NODE_STATUS_UNKNOWN) return { kind: 'markReady' };
  return { kind: 'none' };
}

/** withReadyCondition returns the node's conditions with Ready as the action sets it. */
export function withReadyCondition(node: Node, action: 'markNotReady' | 'markReady', now: string): Condition[] {
  const current = nodeReadyCondition(node);
  const next: Condition =
    action === 'markNotReady'
      ? { type: 'Ready', status: 'Unknown', reason: NODE_STATUS_UNKNOWN, message: 'Agent stopped posting node status.' }
      : { type: 'Ready', status: 'True', reason: 'AgentReady', message: 'berth-agent is posting ready status' };
  const heartbeat = action === 'markReady' ? now : current?.lastHeartbeatTime;
  return setCondition(node.status?.conditions, { ...next, ...(heartbeat ? { lastHeartbeatTime: heartbeat } : {}) }, now);
}

/** podLostWithNode: a pod still counted as running on a node that is gone. */
export function podLostWithNode(pod: Pod, nodeName: string): boolean {
  const phase = pod.status?.phase;
  return pod.spec.nodeName === nodeName && phase !== 'Failed' && phase !== 'Succeeded';
}

/** podTerminatingOn: a pod bound to `nodeName` that is waiting for its agent to finish it. */
export function podTerminatingOn(pod: Pod, nodeName: string): boolean {
  return pod.spec.nodeName === nodeName && pod.metadata.deletionTimestamp !== undefined;
}

/** markPodNodeLost sets the status a pod gets when its node is lost (changes `pod`). */
export function markPodNodeLost(pod: Pod, nodeName: string, now: string): Pod {
  const status = pod.status ?? {};
  status.phase = 'Failed';
  status.reason = NODE_LOST;
  status.message = `Node ${nodeName} which was running pod ${pod.metadata.name} is unresponsive`;
  status.conditions = setCondition(status.conditions, { type: 'Ready', status: 'False', reason: NODE_LOST }, now);
  for (const c of status.containerStatuses ?? []) c.ready = false;
  pod.status = status;
  return pod;
}
