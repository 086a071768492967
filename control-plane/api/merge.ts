/**
 * The three-way merge of `berth apply`, with kubectl's client-side apply semantics, computed on
 * the server: a field the user removed from the manifest since the last apply is removed; a field
 * the manifest sets is set; a field set by someone else (`berth scale`, a default, a controller)
 * and never in the manifest is kept. Lists are replaced whole, as JSON merge patch does.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** threeWayMerge returns a new value; none of the inputs is changed. */
export function threeWayMerge(live: unknown, lastApplied: unknown, desired: unknown): unknown {
  if (!isObject(desired) || !isObject(live)) return structuredClone(desired);
  const last = isObject(lastApplied) ? lastApplied : {};
  const out: JsonObject = structuredClone(live);
  for (const [key, value] of Object.entries(desired)) {
    out[key] = isObject(value) && isObject(live[key]) ? (threeWayMerge(live[key], last[key], value) as Json) : structuredClone(value);
  }
  for (const key of Object.keys(last)) {
    if (!(key in desired)) delete out[key];
  }
  return out;
}
