import type { NodeSelectorRequirement, NodeSelectorTerm } from '../../proto/objects/affinity.js';
import type { Filter, FilterResult } from './filters.js';
import { SELECTOR_MISMATCH } from './filter-reasons.js';
import type { Scorer } from './scorers.js';

/** The node fields a node selector term reads: matchExpressions see labels, matchFields the name. */
export interface NodeFields {
  name: string;
  labels: Record<string, string>;
}

const INTEGER = /^-?\d+$/;

/** requirementMatches is one matchExpressions entry against a label set (Kubernetes' NodeSelectorRequirement). */
export function requirementMatches(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key] as string;
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(value);
    case 'NotIn':
      return !has || !values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      // A label that is not an integer matches neither, as in Kubernetes.
      const bound = values[0];
      if (!has || bound === undefined || !INTEGER.test(value) || !INTEGER.test(bound)) return false;
      return r.operator === 'Gt' ? Number(value) > Number(bound) : Number(value) < Number(bound);
    }
  }
}

/** termMatches ANDs a term's expressions and fields; a term with neither matches no node, as in Kubernetes. */
export function termMatches(term: NodeSelectorTerm, node: NodeFields): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  return expressions.every((r) => requirementMatches(r, node.labels)) && fields.every((r) => requirementMatches({ ...r, key: 'metadata.name' }, { 'metadata.name': node.name }));
}

/** anyTermMatches ORs the terms of a required node affinity. */
export function anyTermMatches(terms: readonly NodeSelectorTerm[], node: NodeFields): boolean {
  return terms.some((t) => termMatches(t, node));
}

const SELECTOR_RESULT: FilterResult = { ok: false, reasons: [SELECTOR_MISMATCH] };
const OK: FilterResult = { ok: true };

/** nodeAffinityMatches: requiredDuringScheduling node affinity; same reason as a nodeSelector miss, as in Kubernetes. */
export const nodeAffinityMatches: Filter = (pod, node) => {
  const required = pod.pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return OK;
  return anyTermMatches(required.nodeSelectorTerms, node) ? OK : SELECTOR_RESULT;
};

/** preferNodeAffinity sums the weights of the preferred node affinity terms a node matches. */
export const preferNodeAffinity: Scorer = (pod, node) => {
  let score = 0;
  for (const p of pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (termMatches(p.preference, node)) score += p.weight;
  }
  return score;
};
