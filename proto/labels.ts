import type { LabelSelector } from './objects/meta.js';

/**
 * Label selectors: the `matchLabels`/`matchExpressions` form of Deployments and ReplicaSets, and
 * the string form users type (`-l app=web,tier!=db,env in (a,b),!legacy`).
 */

/** Requirement is one clause of a selector; all clauses must hold. */
export interface Requirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

export type Selector = readonly Requirement[];

/** SelectorSyntaxError names the part of a selector string that could not be read. */
export class SelectorSyntaxError extends Error {
  override name = 'SelectorSyntaxError';
}

export function selectorFromLabelSelector(selector: LabelSelector | undefined): Selector {
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    reqs.push({ key, operator: 'In', values: [value] });
  }
  for (const e of selector?.matchExpressions ?? []) {
    reqs.push({ key: e.key, operator: e.operator, values: e.values ?? [] });
  }
  return reqs;
}

/** matches: an empty selector matches everything, as in Kubernetes list calls. */
export function matches(selector: Selector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.operator) {
      case 'In':
        return has && r.values.includes(l[r.key] as string);
      case 'NotIn':
        return !has || !r.values.includes(l[r.key] as string);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
}

/** parseSelector reads the string form; an empty string selects everything. */
export function parseSelector(text: string): Selector {
  const reqs: Requirement[] = [];
  // Split on commas that are not inside a parenthesised value list.
  const clauses = text.match(/(?:[^,(]|\([^)]*\))+/g) ?? [];
  for (const raw of clauses) {
    const clause = raw.trim();
    if (clause === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^!\s*([\w./-]+)$/.exec(clause))) {
      reqs.push({ key: m[1] as string, operator: 'DoesNotExist', values: [] });
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(clause))) {
      reqs.push({ key: m[1] as string, operator: m[2] === '!=' ? 'NotIn' : 'In', values: [m[3] as string] });
    } else if ((m = /^([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(clause))) {
      const values = (m[3] as string).split(',').map((v) => v.trim()).filter((v) => v !== '');
      reqs.push({ key: m[1] as string, operator: m[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = /^([\w./-]+)$/.exec(clause))) {
      reqs.push({ key: m[1] as string, operator: 'Exists', values: [] });
    } else {
      throw new SelectorSyntaxError(`cannot read label selector clause "${clause}": use key=value, key!=value, key in (a,b), key or !key`);
    }
  }
  return reqs;
}

/** formatLabelSelector prints a LabelSelector the way kubectl describe does: `app=web,tier in (a,b)`. */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  const parts = selectorFromLabelSelector(selector).map((r) => {
    if (r.operator === 'Exists') return r.key;
    if (r.operator === 'DoesNotExist') return `!${r.key}`;
    if (r.values.length === 1 && r.operator === 'In' && selector?.matchLabels?.[r.key] !== undefined) return `${r.key}=${r.values[0]}`;
    return `${r.key} ${r.operator.toLowerCase()} (${r.values.join(',')})`;
  });
  return parts.join(',');
}
