import type { Taint } from '../../proto/objects/cluster.js';
import { tolerates } from '../objects/node-selection.js';
import type { PodInfo } from './pod-info.js';
import type { ClusterSnapshot, NodeInfo } from './snapshot.js';
import { NOT_READY, PORTS_IN_USE, SELECTOR_MISMATCH, UNSCHEDULABLE } from './filter-reasons.js';
import { nodeAffinityMatches } from './node-affinity.js';
import { existingAntiAffinityRespected, podAffinityMatches, podAntiAffinityMatches } from './pod-affinity.js';

export { tolerates } from '../objects/node-selection.js';

/**
 * FilterResult says whether a pod may go on a node. A rejection names its reasons in
 * Kubernetes' words; they are counted per node into the pod's Unschedulable message. Most
 * filters give one reason; the resource filter may give several ("Insufficient cpu" and
 * "Insufficient memory"), as Kubernetes' NodeResourcesFit does.
 */
export type FilterResult = { ok: true } | { ok: false; reasons: readonly string[] };

/** Filter is a pure check of one pod against one node; it never changes anything. */
export type Filter = (pod: PodInfo, node: NodeInfo, snapshot: ClusterSnapshot) => FilterResult;

const OK: FilterResult = { ok: true };
const reject = (...reasons: string[]): FilterResult => ({ ok: false, reasons });

export { NOT_READY, UNSCHEDULABLE, SELECTOR_MISMATCH, PORTS_IN_USE } from './filter-reasons.js';
const NOT_READY_RESULT = reject(NOT_READY);
const UNSCHEDULABLE_RESULT = reject(UNSCHEDULABLE);
const SELECTOR_RESULT = reject(SELECTOR_MISMATCH);
const PORTS_RESULT = reject(PORTS_IN_USE);

export const nodeReady: Filter = (_pod, node) => (node.ready ? OK : NOT_READY_RESULT);

/** A cordoned node takes only pods that tolerate its implied unschedulable taint (as in Kubernetes). */
const CORDON_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
export const nodeSchedulable: Filter = (pod, node) =>
  !node.unschedulable || pod.tolerations.some((t) => tolerates(t, CORDON_TAINT)) ? OK : UNSCHEDULABLE_RESULT;

export const nodeSelectorMatches: Filter = (pod, node) => {
  for (const [key, value] of pod.nodeSelector) if (node.labels[key] !== value) return SELECTOR_RESULT;
  return OK;
};

export const taintsTolerated: Filter = (pod, node) => {
  for (const taint of node.taints) {
    if (!pod.tolerations.some((t) => tolerates(t, taint))) return reject(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
  }
  return OK;
};

/** A host port conflicts with the same protocol and port on the same address, or on any if either is 0.0.0.0. */
export const hostPortsFree: Filter = (pod, node) => {
  for (const wanted of pod.hostPorts) {
    const byIp = node.hostPorts.get(`${wanted.protocol}/${wanted.port}`);
    if (!byIp) continue;
    if (wanted.ip === '0.0.0.0' || byIp.has('0.0.0.0') || byIp.has(wanted.ip)) return PORTS_RESULT;
  }
  return OK;
};

export const resourcesFit: Filter = (pod, node) => {
  const reasons: string[] = [];
  const { allocatable: a, requested: r } = node;
  if (r.pods + 1 > a.pods) reasons.push('Too many pods');
  if (pod.cpuMillis > 0 && r.cpuMillis + pod.cpuMillis > a.cpuMillis) reasons.push('Insufficient cpu');
  if (pod.memoryBytes > 0 && r.memoryBytes + pod.memoryBytes > a.memoryBytes) reasons.push('Insufficient memory');
  return reasons.length === 0 ? OK : { ok: false, reasons };
};

/**
 * FILTERS in the order they run. A node is rejected by the first filter that fails, so the
 * order decides which reason a user reads: the state of the node itself first (not ready,
 * cordoned), because no change to the pod would help there; then what the pod asks of the
 * node's identity (selector, node affinity, taints); then what other pods hold (ports, resources)
 * and which pods run where (pod affinity and anti-affinity), which changes as pods come and go.
 * It is also cheapest first: the first two read one flag, the pod affinity filters scan pods.
 */
export const FILTERS: readonly Filter[] = [
  nodeReady,
  nodeSchedulable,
  nodeSelectorMatches,
  nodeAffinityMatches,
  taintsTolerated,
  hostPortsFree,
  resourcesFit,
  podAffinityMatches,
  podAntiAffinityMatches,
  existingAntiAffinityRespected,
];

/** runFilters returns the first rejection, or ok. */
export function runFilters(pod: PodInfo, node: NodeInfo, snapshot: ClusterSnapshot, filters: readonly Filter[] = FILTERS): FilterResult {
  for (const filter of filters) {
    const result = filter(pod, node, snapshot);
    if (!result.ok) return result;
  }
  return OK;
}
