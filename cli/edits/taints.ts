import type { Taint } from '../../proto/objects/cluster.js';
import { labelValue, qualifiedName } from '../../proto/validation/names.js';
import { aggregateMessage, CliError } from '../errors.js';

/*
 * `berth taint node NAME KEY[=VALUE]:EFFECT ... KEY[:EFFECT]-`, read and applied as kubectl's
 * taint command does, with its messages.
 */

type Effect = Taint['effect'];
const EFFECTS: readonly string[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** TaintRemoval names taints to remove: by key and effect, or every effect of a key. */
export interface TaintRemoval {
  key: string;
  effect?: Effect;
}

/** TaintEdit is what one `berth taint` does to each node. */
export interface TaintEdit {
  add: Taint[];
  remove: TaintRemoval[];
}

/** isTaintArg: an argument that is a taint change rather than a resource (kubectl's test). */
export function isTaintArg(arg: string): boolean {
  return arg.includes('=') || arg.includes(':') || arg.endsWith('-');
}

/** taintText is kubectl's Taint.ToString: `key=value:effect`, `key:effect`, `key`. */
export function taintText(t: { key: string; value?: string; effect?: string }): string {
  if (!t.effect) return t.value ? `${t.key}=${t.value}:` : t.key;
  return t.value ? `${t.key}=${t.value}:${t.effect}` : `${t.key}:${t.effect}`;
}

/** parseTaint reads `key=value:effect`, `key:effect` or `key` (kubectl's parseTaint). */
function parseTaint(spec: string): { key: string; value?: string; effect?: Effect } {
  const parts = spec.split(':');
  let key: string;
  let value: string | undefined;
  let effect: Effect | undefined;
  if (parts.length === 1) {
    key = parts[0] as string;
  } else if (parts.length === 2) {
    const effectText = parts[1] as string;
    if (!EFFECTS.includes(effectText)) throw new CliError(`invalid taint effect: ${effectText}, unsupported taint effect`);
    effect = effectText as Effect;
    const kv = (parts[0] as string).split('=');
    if (kv.length > 2) throw new CliError(`invalid taint spec: ${spec}`);
    key = kv[0] as string;
    if (kv.length === 2) {
      value = kv[1] as string;
      const reason = labelValue(value);
      if (reason) throw new CliError(`invalid taint spec: ${spec}, ${reason}`);
    }
  } else {
    throw new CliError(`invalid taint spec: ${spec}`);
  }
  const reason = qualifiedName(key);
  if (reason) throw new CliError(`invalid taint spec: ${spec}, ${reason}`);
  return { key, ...(value ? { value } : {}), ...(effect ? { effect } : {}) };
}

/**
 * parseTaintArgs is kubectl's parseTaints plus its check that no taint is both added and removed.
 * A taint to add needs an effect; two with the same key and effect are refused.
 */
export function parseTaintArgs(specs: string[]): TaintEdit {
  const add: Taint[] = [];
  const remove: TaintRemoval[] = [];
  for (const spec of specs) {
    if (spec.endsWith('-')) {
      const t = parseTaint(spec.slice(0, -1));
      remove.push({ key: t.key, ...(t.effect ? { effect: t.effect } : {}) });
      continue;
    }
    const t = parseTaint(spec);
    if (!t.effect) throw new CliError(`invalid taint spec: ${spec}`);
    if (add.some((a) => a.key === t.key && a.effect === t.effect)) throw new CliError(`duplicated taints with the same key and effect: ${taintText(t)}`);
    add.push({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect });
  }
  const conflicts = remove.filter((r) => add.some((a) => a.key === r.key && (!r.effect || a.effect === r.effect))).map((r) => `${r.key}=${r.effect ?? ''}`);
  if (conflicts.length > 0) throw new CliError(`can not both modify and remove the following taint(s) in the same command: ${conflicts.join(', ')}`);
  return { add, remove };
}

/** TaintOperation is kubectl's word for what happened to a node's taints. */
export type TaintOperation = 'tainted' | 'untainted' | 'modified';

/**
 * updateTaints is kubectl's updateTaints/reorganizeTaints: the new taints come first, then the
 * node's other taints. Without overwrite, adding a key and effect the node already has is
 * refused; removing a taint the node does not have is refused (and nothing changes).
 */
export function updateTaints(nodeName: string, current: Taint[], edit: TaintEdit, overwrite: boolean): { operation: TaintOperation; taints: Taint[] } {
  if (!overwrite) {
    const existing = edit.add.filter((t) => current.some((o) => o.key === t.key && o.effect === t.effect)).map((t) => t.key);
    if (existing.length > 0) throw new CliError(`node ${nodeName} already has ${existing.join(',')} taint(s) with same effect(s) and --overwrite is false`);
  }
  let taints: Taint[] = [...edit.add, ...current.filter((o) => !edit.add.some((t) => t.key === o.key && t.effect === o.effect))];
  const added = taints.length !== current.length;
  const notFound: string[] = [];
  for (const r of edit.remove) {
    const kept = taints.filter((t) => t.key !== r.key || (r.effect !== undefined && t.effect !== r.effect));
    if (kept.length === taints.length) notFound.push(`taint ${JSON.stringify(taintText(r))} not found`);
    taints = kept;
  }
  if (notFound.length > 0) throw new CliError(aggregateMessage(notFound));
  const deleted = edit.remove.length > 0;
  const operation = (added && deleted) || overwrite ? 'modified' : added ? 'tainted' : 'untainted';
  return { operation, taints };
}
