import type { NodeSelectorRequirement, NodeSelectorTerm } from '../../proto/objects/affinity.js';
import type { Taint } from '../../proto/objects/cluster.js';
import type { Toleration } from '../../proto/objects/pod.js';

/**
 * How a pod's node constraints read a node, as Kubernetes defines them: node selector terms
 * (required and preferred node affinity) and tolerations. Used by the scheduler's filters and by
 * the DaemonSet controller, which decides the same way which nodes a daemon pod belongs on.
 */

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

/** tolerates is Kubernetes' Toleration.ToleratesTaint. */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (!toleration.key && toleration.operator !== 'Exists') return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}
