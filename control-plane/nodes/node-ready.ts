import type { Condition, Node } from '../../proto/objects/cluster.js';

/**
 * withReadyTrue returns the node's conditions with Ready set True (reason AgentReady), keeping
 * lastTransitionTime when it already was True; undefined when nothing would change. Pure.
 */
export function readyConditionsIfChanged(node: Node, now: string): Condition[] | undefined {
  const conditions = node.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return undefined;
  const next: Condition = {
    type: 'Ready',
    status: 'True',
    reason: 'AgentReady',
    message: 'berth-agent is posting ready status',
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  };
  return [...conditions.filter((c) => c.type !== 'Ready'), next];
}
