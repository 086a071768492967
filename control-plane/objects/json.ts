/**
 * Objects are plain JSON values. These helpers copy and compare them the same way in every room
 * of the control plane.
 */

/**
 * deepCopy is used wherever an object read from the store or a cache is about to be changed.
 * A JSON round trip copies plain objects faster than structuredClone.
 */
export function deepCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** canonicalJson is JSON with sorted keys, so equal objects always serialize the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** deepEqual compares JSON values regardless of key order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(object).sort().map((k) => [k, sortKeys(object[k])]));
}
