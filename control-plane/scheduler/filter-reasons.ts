/*
 * Why a filter rejects a node, in Kubernetes' words. The planner counts them per node into the
 * pod's Unschedulable message ("0/3 nodes are available: 3 node(s) didn't match ...").
 * Kept apart from filters.ts so filters in their own files can share them without an import cycle.
 */
export const NOT_READY = 'node(s) were not ready';
export const UNSCHEDULABLE = 'node(s) were unschedulable';
export const SELECTOR_MISMATCH = "node(s) didn't match Pod's node affinity/selector";
export const PORTS_IN_USE = "node(s) didn't have free ports for the requested pod ports";
export const POD_AFFINITY_MISMATCH = "node(s) didn't match pod affinity rules";
export const POD_ANTI_AFFINITY_MISMATCH = "node(s) didn't match pod anti-affinity rules";
export const EXISTING_ANTI_AFFINITY_MISMATCH = "node(s) didn't satisfy existing pods anti-affinity rules";
