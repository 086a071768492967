/*
 * RFC 7386 merge patches computed from two documents: what the CLI sends with the Patch RPC
 * when it replaces a whole part of an object (a Deployment's pod template on undo).
 */

/** JsonValue is any value a JSON document can hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

function isObject(v: unknown): v is Record<string, JsonValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** jsonEqual compares two JSON values by content; key order does not matter, list order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a).filter((k) => a[k] !== undefined);
  if (keys.length !== Object.keys(b).filter((k) => b[k] !== undefined).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

/**
 * createMergePatch is the merge patch that turns `from` into `to`: changed values as they are
 * in `to`, nested objects patched key by key, keys `to` lacks set to null (removed), lists
 * replaced whole (a merge patch cannot edit a list in place). Equal documents give `{}`.
 */
export function createMergePatch(from: Record<string, unknown>, to: Record<string, unknown>): Record<string, JsonValue> {
  const patch: Record<string, JsonValue> = {};
  for (const key of Object.keys(from)) {
    if (from[key] !== undefined && (!Object.hasOwn(to, key) || to[key] === undefined)) patch[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const before = from[key];
    if (isObject(before) && isObject(value)) {
      const nested = createMergePatch(before, value);
      if (Object.keys(nested).length > 0) patch[key] = nested;
    } else if (!jsonEqual(before, value)) {
      patch[key] = value as JsonValue;
    }
  }
  return patch;
}
