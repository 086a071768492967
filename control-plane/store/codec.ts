import type { BerthObject } from '../../proto/objects/meta.js';

/**
 * How objects are stored: JSON without `metadata.resourceVersion`, which is derived on every
 * read from the key's etcd mod_revision (docs/architecture.md section 2), so it can never go stale.
 */
export function encodeObject(object: BerthObject): string {
  const { resourceVersion: _ignored, ...metadata } = object.metadata;
  return JSON.stringify({ ...object, metadata });
}

/** decodeObject reads a stored value back, its resourceVersion being the key's mod revision. */
export function decodeObject(kv: { value: Buffer; mod_revision: string }): BerthObject {
  const object = JSON.parse(kv.value.toString('utf8')) as BerthObject;
  object.metadata.resourceVersion = String(kv.mod_revision);
  return object;
}

/** withRevision is the object as stored at `revision` (a copy; the object itself is not changed). */
export function withRevision<T extends BerthObject>(object: T, revision: string | number): T {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } };
}
