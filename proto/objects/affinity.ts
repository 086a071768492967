import type { LabelSelector } from './meta.js';

/** NodeSelectorOperator is how one node selector requirement compares a label (or field). */
export type NodeSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

/** NodeSelectorRequirement: `values` is required for In/NotIn, empty for Exists/DoesNotExist, one integer for Gt/Lt. */
export interface NodeSelectorRequirement {
  key: string;
  operator: NodeSelectorOperator;
  values?: string[];
}

/** NodeSelectorTerm: its requirements are ANDed; matchFields supports only `metadata.name`. */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

/** NodeSelector: its terms are ORed. */
export interface NodeSelector {
  nodeSelectorTerms: NodeSelectorTerm[];
}

/** PreferredSchedulingTerm adds `weight` (1–100) to a node's score when `preference` matches. */
export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}

/** NodeAffinity constrains (required) and ranks (preferred) the nodes a pod may go on. */
export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector;
  preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
}

/**
 * PodAffinityTerm selects pods (by labels, in `namespaces` or else the pod's own namespace)
 * and a topology: nodes with the same value of label `topologyKey` are one domain.
 */
export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  namespaces?: string[];
  topologyKey: string;
}

/** WeightedPodAffinityTerm is a preferred term: `weight` 1–100. */
export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}

/** PodAffinityRules is the shape of both podAffinity and podAntiAffinity. */
export interface PodAffinityRules {
  requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
  preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
}

/** Affinity is a pod's `spec.affinity`. */
export interface Affinity {
  nodeAffinity?: NodeAffinity;
  podAffinity?: PodAffinityRules;
  podAntiAffinity?: PodAffinityRules;
}
