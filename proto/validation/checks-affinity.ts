import type { Affinity, NodeSelectorRequirement, NodeSelectorTerm, PodAffinityRules } from '../objects/affinity.js';
import type { LabelSelector } from '../objects/meta.js';
import type { CheckOutput } from './check.js';
import { joinPath, quote } from './problems.js';

const INTEGER = /^-?\d+$/;

/** checkAffinity checks `spec.affinity` at `path`: operators against their values, field keys, topology keys. */
export function checkAffinity(affinity: Affinity, path: string, out: CheckOutput): void {
  const nodePath = joinPath(path, 'nodeAffinity');
  const required = affinity.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) {
    const rpath = joinPath(joinPath(nodePath, 'requiredDuringSchedulingIgnoredDuringExecution'), 'nodeSelectorTerms');
    if (required.nodeSelectorTerms.length === 0) out.error(rpath, 'Required value: must have at least one node selector term');
    required.nodeSelectorTerms.forEach((t, i) => checkTerm(t, joinPath(rpath, i), out));
  }
  (affinity.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((p, i) => {
    checkTerm(p.preference, joinPath(joinPath(joinPath(nodePath, 'preferredDuringSchedulingIgnoredDuringExecution'), i), 'preference'), out);
  });
  if (affinity.podAffinity) checkPodRules(affinity.podAffinity, joinPath(path, 'podAffinity'), out);
  if (affinity.podAntiAffinity) checkPodRules(affinity.podAntiAffinity, joinPath(path, 'podAntiAffinity'), out);
}

function checkTerm(term: NodeSelectorTerm, path: string, out: CheckOutput): void {
  (term.matchExpressions ?? []).forEach((r, i) => checkRequirement(r, joinPath(joinPath(path, 'matchExpressions'), i), out));
  (term.matchFields ?? []).forEach((r, i) => {
    const fpath = joinPath(joinPath(path, 'matchFields'), i);
    if (r.key !== 'metadata.name') out.error(joinPath(fpath, 'key'), `Unsupported value: ${quote(r.key)}: supported values: "metadata.name"`);
    if (r.operator !== 'In' && r.operator !== 'NotIn') out.error(joinPath(fpath, 'operator'), `Unsupported value: ${quote(r.operator)}: supported values: "In", "NotIn"`);
    else if ((r.values ?? []).length !== 1) out.error(joinPath(fpath, 'values'), 'Required value: must be only one value when `operator` is \'In\' or \'NotIn\' for node field selector');
  });
}

/** checkRequirement: In/NotIn need values, Exists/DoesNotExist take none, Gt/Lt take one integer. */
function checkRequirement(r: NodeSelectorRequirement, path: string, out: CheckOutput): void {
  if (r.key === '') out.error(joinPath(path, 'key'), 'Required value');
  const values = r.values ?? [];
  const vpath = joinPath(path, 'values');
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) out.error(vpath, `Required value: must be specified when \`operator\` is '${r.operator}'`);
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) out.error(vpath, `Forbidden: may not be specified when \`operator\` is '${r.operator}'`);
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) out.error(vpath, `Required value: must be specified single value when \`operator\` is '${r.operator}'`);
      else if (!INTEGER.test(values[0] as string)) out.error(joinPath(vpath, 0), `Invalid value: ${quote(values[0])}: must be an integer`);
      break;
  }
}

function checkPodRules(rules: PodAffinityRules, path: string, out: CheckOutput): void {
  (rules.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
    const tpath = joinPath(joinPath(path, 'requiredDuringSchedulingIgnoredDuringExecution'), i);
    if (t.topologyKey === '') out.error(joinPath(tpath, 'topologyKey'), 'Required value: can not be empty');
    checkSelector(t.labelSelector, joinPath(tpath, 'labelSelector'), out);
  });
  (rules.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((w, i) => {
    const tpath = joinPath(joinPath(joinPath(path, 'preferredDuringSchedulingIgnoredDuringExecution'), i), 'podAffinityTerm');
    if (w.podAffinityTerm.topologyKey === '') out.error(joinPath(tpath, 'topologyKey'), 'Required value: can not be empty');
    checkSelector(w.podAffinityTerm.labelSelector, joinPath(tpath, 'labelSelector'), out);
  });
}

function checkSelector(selector: LabelSelector | undefined, path: string, out: CheckOutput): void {
  (selector?.matchExpressions ?? []).forEach((e, i) => {
    const vpath = joinPath(joinPath(joinPath(path, 'matchExpressions'), i), 'values');
    const n = (e.values ?? []).length;
    if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0) out.error(vpath, `Required value: must be specified when \`operator\` is '${e.operator}'`);
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n > 0) out.error(vpath, `Forbidden: may not be specified when \`operator\` is '${e.operator}'`);
  });
}
