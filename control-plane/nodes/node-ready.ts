import { isReady, setCondition } from '../../proto/objects/conditions.js';
import type { Condition, Node } from '../../proto/objects/cluster.js';

/**
 * withReadyTrue returns the node's conditions with Ready set True (reason AgentReady), keeping
 * lastTransitionTime when it already was True; undefined when nothing would change. Pure.
 */
export function readyConditionsIfChanged(node: Node, now: string): Condition[] | undefined {
  if (isReady(node)) return undefined;
  return setCondition(node.status?.conditions, { type: 'Ready', status: 'True', reason: 'AgentReady', message: 'berth-agent is posting ready status', lastHeartbeatTime: now }, now);
}
