import type { IKeyValue } from 'etcd3';
import type { BerthObject } from '../../proto/objects/meta.js';

/**
 * How objects are stored: JSON without `metadata.resourceVersion`, which is derived on every
 * read from the key's etcd mod_revision (DESIGN.md section 2), so it can never go stale.
 */
export function encodeObject(object: BerthObject): string {
  const { resourceVersion: _ignored, ...metadata } = object.metadata;
  return JSON.stringify({ ...object, metadata });
}

export function decodeObject(kv: IKeyValue): BerthObject {
  const object = JSON.parse(kv.value.toString('utf8')) as BerthObject;
  object.metadata.resourceVersion = String(kv.mod_revision);
  return object;
}
