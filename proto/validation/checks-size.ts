import type { ObjectMeta } from '../objects/meta.js';
import type { CheckOutput } from './check.js';
import { joinPath } from './problems.js';

/** Kubernetes' limit on the total size of an object's annotations (keys and values, in bytes). */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/**
 * The annotation in which apply keeps the user's last applied manifest. It is Berth's own copy,
 * counted by the stored object's size limit rather than by the annotations limit (Kubernetes
 * counts it in both, which is why a large ConfigMap cannot be `kubectl apply`-ed there).
 */
export const LAST_APPLIED_ANNOTATION = 'berth.dev/last-applied-configuration';

/** checkAnnotationsSize refuses annotations whose keys and values total more than 256 KiB. */
export function checkAnnotationsSize(meta: Partial<ObjectMeta> | undefined, path: string, out: CheckOutput): void {
  let bytes = 0;
  for (const [key, value] of Object.entries(meta?.annotations ?? {})) {
    if (key === LAST_APPLIED_ANNOTATION) continue;
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (bytes > MAX_ANNOTATIONS_BYTES) out.error(joinPath(path, 'annotations'), `Too long: may not be more than ${MAX_ANNOTATIONS_BYTES} bytes in total (keys and values), is ${bytes}`);
}

/**
 * largestFieldPath names where most of an object's bytes are: the largest top-level field, then
 * deeper while one child holds more than half of its parent. Used to point a "too large" error
 * at the field the user has to shrink.
 */
export function largestFieldPath(value: unknown, path = ''): string {
  if (typeof value !== 'object' || value === null) return path;
  const children: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  let best: [string | number, unknown] | undefined;
  let bestBytes = 0;
  for (const child of children) {
    const bytes = jsonBytes(child[1]);
    if (bytes > bestBytes) [best, bestBytes] = [child, bytes];
  }
  if (!best || (path !== '' && bestBytes * 2 <= jsonBytes(value))) return path;
  return largestFieldPath(best[1], joinPath(path, best[0]));
}

/** jsonBytes is the size of a value as JSON, in bytes. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}
