import type { PodAffinityTerm } from '../../proto/objects/affinity.js';
import type { Pod } from '../../proto/objects/pod.js';
import { matches, selectorFromLabelSelector } from '../../proto/labels.js';
import type { Selector } from '../../proto/labels.js';
import { EXISTING_ANTI_AFFINITY_MISMATCH, POD_AFFINITY_MISMATCH, POD_ANTI_AFFINITY_MISMATCH } from './filter-reasons.js';
import type { Filter, FilterResult } from './filters.js';
import type { PodInfo } from './pod-info.js';
import type { Scorer } from './scorers.js';
import type { ClusterSnapshot, NodeInfo } from './snapshot.js';

/**
 * PodTerm is a pod (anti-)affinity term parsed once: which pods it selects (labels, namespaces)
 * and over which topology. `weight` is the preferred term's weight (negative for anti-affinity), 0 for required.
 */
export interface PodTerm {
  /** Undefined selects no pod: Kubernetes' null labelSelector. */
  selector: Selector | undefined;
  namespaces: ReadonlySet<string>;
  topologyKey: string;
  weight: number;
}

/** PodAffinityInfo is a pod's parsed pod affinity; podInfo leaves it undefined for the many pods without any. */
export interface PodAffinityInfo {
  required: PodTerm[];
  requiredAnti: PodTerm[];
  preferred: PodTerm[];
}

/** parsePodAffinity reads spec.affinity.podAffinity and podAntiAffinity; namespaces default to the pod's own. */
export function parsePodAffinity(pod: Pod): PodAffinityInfo | undefined {
  const { podAffinity, podAntiAffinity } = pod.spec.affinity ?? {};
  if (!podAffinity && !podAntiAffinity) return undefined;
  const own = pod.metadata.namespace ?? 'default';
  const term = (t: PodAffinityTerm, weight: number): PodTerm => ({
    selector: t.labelSelector ? selectorFromLabelSelector(t.labelSelector) : undefined,
    namespaces: new Set(t.namespaces && t.namespaces.length > 0 ? t.namespaces : [own]),
    topologyKey: t.topologyKey,
    weight,
  });
  return {
    required: (podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => term(t, 0)),
    requiredAnti: (podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => term(t, 0)),
    preferred: [
      ...(podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => term(w.podAffinityTerm, w.weight)),
      ...(podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => term(w.podAffinityTerm, -w.weight)),
    ],
  };
}

/** selects: the term names this pod (its namespace is listed and its labels match). */
export function selects(term: PodTerm, pod: Pod): boolean {
  return term.selector !== undefined && term.namespaces.has(pod.metadata.namespace ?? 'default') && matches(term.selector, pod.metadata.labels);
}

/**
 * domainNodes are the nodes in the same topology domain as `node` for `key` (the nodes with the
 * same value of that label); none when the node lacks the label.
 */
function domainNodes(snapshot: ClusterSnapshot, node: NodeInfo, key: string): NodeInfo[] {
  const value = node.labels[key];
  if (value === undefined) return [];
  return snapshot.nodeList().filter((n) => n.labels[key] === value);
}

/** countInDomain counts the pods other than `self` the term selects in the node's domain. */
function countInDomain(term: PodTerm, self: PodInfo, node: NodeInfo, snapshot: ClusterSnapshot): number {
  let n = 0;
  for (const d of domainNodes(snapshot, node, term.topologyKey)) {
    for (const other of d.pods.values()) if (other.key !== self.key && selects(term, other.pod)) n++;
  }
  return n;
}

const OK: FilterResult = { ok: true };
const AFFINITY_RESULT: FilterResult = { ok: false, reasons: [POD_AFFINITY_MISMATCH] };
const ANTI_AFFINITY_RESULT: FilterResult = { ok: false, reasons: [POD_ANTI_AFFINITY_MISMATCH] };
const EXISTING_RESULT: FilterResult = { ok: false, reasons: [EXISTING_ANTI_AFFINITY_MISMATCH] };

/**
 * podAffinityMatches: every required term has a selected pod in the node's domain. As in
 * Kubernetes, a term no pod in the whole cluster satisfies is waived when the pod selects itself,
 * so the first replica of a group that wants to be together can start.
 */
export const podAffinityMatches: Filter = (pod, node, snapshot) => {
  for (const term of pod.podAffinity?.required ?? []) {
    if (countInDomain(term, pod, node, snapshot) > 0) continue;
    if (node.labels[term.topologyKey] !== undefined && selects(term, pod.pod) && !anywhere(term, pod, snapshot)) continue;
    return AFFINITY_RESULT;
  }
  return OK;
};

function anywhere(term: PodTerm, self: PodInfo, snapshot: ClusterSnapshot): boolean {
  return snapshot.nodeList().some((n) => [...n.pods.values()].some((other) => other.key !== self.key && selects(term, other.pod)));
}

/** podAntiAffinityMatches: no required anti-affinity term selects a pod in the node's domain. */
export const podAntiAffinityMatches: Filter = (pod, node, snapshot) => {
  for (const term of pod.podAffinity?.requiredAnti ?? []) {
    if (countInDomain(term, pod, node, snapshot) > 0) return ANTI_AFFINITY_RESULT;
  }
  return OK;
};

/** existingAntiAffinityRespected: no pod already placed has a required anti-affinity term against this pod in the node's domain. */
export const existingAntiAffinityRespected: Filter = (pod, node, snapshot) => {
  for (const holder of snapshot.antiAffinityHolders()) {
    if (holder.info.key === pod.key) continue;
    const holderNode = snapshot.node(holder.nodeName);
    if (!holderNode) continue;
    for (const term of holder.info.podAffinity?.requiredAnti ?? []) {
      const value = node.labels[term.topologyKey];
      if (value !== undefined && holderNode.labels[term.topologyKey] === value && selects(term, pod.pod)) return EXISTING_RESULT;
    }
  }
  return OK;
};

/**
 * preferPodAffinity is Kubernetes' InterPodAffinity score for the pod's own preferred terms:
 * each selected pod in the node's domain adds the term's weight (subtracts, for anti-affinity).
 */
export const preferPodAffinity: Scorer = (pod, node, snapshot) => {
  let score = 0;
  for (const term of pod.podAffinity?.preferred ?? []) score += term.weight * countInDomain(term, pod, node, snapshot);
  return score;
};
