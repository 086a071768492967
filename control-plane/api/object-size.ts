import type { BerthObject } from '../../proto/objects/meta.js';
import { LAST_APPLIED_ANNOTATION, largestFieldPath } from '../../proto/validation/index.js';
import type { ObjectProblem } from '../../proto/validation/index.js';
import { encodeObject } from '../store/codec.js';
import { MAX_OBJECT_BYTES } from '../store/guarded-change.js';

/**
 * storedSizeProblems refuses an object that would be larger than MAX_OBJECT_BYTES as stored
 * (defaults, status and the last-applied copy of the manifest included), before anything is
 * written: etcd would refuse it, and a multi-document apply would have written its other
 * documents by then. The error points at the largest field of what the user wrote.
 */
export function storedSizeProblems(intent: BerthObject, stored: BerthObject): ObjectProblem[] {
  const bytes = Buffer.byteLength(encodeObject(stored));
  if (bytes <= MAX_OBJECT_BYTES) return [];
  const copied = stored.metadata.annotations?.[LAST_APPLIED_ANNOTATION] !== undefined ? ` (with the copy of the manifest in the ${LAST_APPLIED_ANNOTATION} annotation)` : '';
  return [{ path: largestFieldPath(intent), message: `Too long: the object would be stored as ${bytes} bytes${copied}, over the limit of ${MAX_OBJECT_BYTES}; this is its largest field` }];
}
