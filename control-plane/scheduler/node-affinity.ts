import { anyTermMatches, termMatches } from '../objects/node-selection.js';
import type { Filter, FilterResult } from './filters.js';
import { SELECTOR_MISMATCH } from './filter-reasons.js';
import type { Scorer } from './scorers.js';

export { anyTermMatches, requirementMatches, termMatches } from '../objects/node-selection.js';
export type { NodeFields } from '../objects/node-selection.js';

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
