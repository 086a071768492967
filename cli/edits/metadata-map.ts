import { aggregateMessage, CliError } from '../errors.js';
import type { MapEdit } from './pairs.js';

/** MapEditResult is one object's labels or annotations after an edit, and what to tell the user. */
export interface MapEditResult {
  /** The merge patch for the map: the keys that change, null for the ones removed; empty: nothing changes. */
  patch: Record<string, string | null>;
  /** Keys asked to be removed that the object does not have. */
  missing: string[];
}

/**
 * editMap applies `edit` to `current`. Without overwrite, setting a key the object already has
 * with another value is refused with kubectl's message for the map (labels and annotations word
 * it differently); nothing is changed then.
 */
export function editMap(current: Record<string, string> | undefined, edit: MapEdit, overwrite: boolean, map: 'labels' | 'annotations'): MapEditResult {
  const live = current ?? {};
  const has = (key: string) => Object.prototype.hasOwnProperty.call(live, key);
  if (!overwrite) {
    const taken = edit.set.filter(([key, value]) => has(key) && live[key] !== value).map(([key]) => `'${key}' already has a value (${live[key] ?? ''})`);
    if (taken.length > 0) {
      throw new CliError(
        map === 'labels'
          ? aggregateMessage(taken.map((t) => `${t}, and --overwrite is false`))
          : `--overwrite is false but found the following declared annotation(s): ${taken.join('; ')}`,
      );
    }
  }
  const patch: Record<string, string | null> = {};
  for (const [key, value] of edit.set) if (live[key] !== value || !has(key)) patch[key] = value;
  const missing: string[] = [];
  for (const key of edit.remove) {
    if (has(key)) patch[key] = null;
    else missing.push(key);
  }
  return { patch, missing };
}

/** labelOperation is kubectl's word for what `berth label` did: labeled, unlabeled (removals only) or not labeled. */
export function labelOperation(patch: Record<string, string | null>): 'labeled' | 'unlabeled' | 'not labeled' {
  const values = Object.values(patch);
  if (values.length === 0) return 'not labeled';
  return values.every((v) => v === null) ? 'unlabeled' : 'labeled';
}
