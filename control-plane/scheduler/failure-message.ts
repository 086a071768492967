/** The message for a pod when there are no Node objects at all (Kubernetes' ErrNoNodesAvailable). */
export const NO_NODES_MESSAGE = 'no nodes available to schedule pods';

/**
 * failureMessage words an unschedulable pod's diagnosis as Kubernetes does:
 * "0/3 nodes are available: 2 Insufficient memory, 1 node(s) were unschedulable."
 * Counts are per reason (a node may add more than one, e.g. cpu and memory). Entries are
 * sorted by reason text so the message is stable and changes only when the diagnosis does.
 * (kube-scheduler sorts the whole "<count> <reason>" strings, which puts counts first; sorting
 * by reason keeps the message from reordering as counts change.)
 */
export function failureMessage(nodeCount: number, reasons: ReadonlyMap<string, number>): string {
  if (nodeCount === 0) return NO_NODES_MESSAGE;
  const parts = [...reasons.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([reason, count]) => `${count} ${reason}`);
  return `0/${nodeCount} nodes are available: ${parts.join(', ')}.`;
}
