import type { BerthObject } from '../../proto/objects/meta.js';
import { objectKey } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { decodeObject, encodeObject } from './codec.js';

/**
 * The vocabulary of every write Berth makes to etcd. A GuardedChange is a set of writes that
 * happen together, and only if all of its guards hold; otherwise nothing of it is written.
 * Object writes (create, update, delete) and the few keys that are not objects (the leader key,
 * pod-CIDR, service-IP and node-port claims) are expressed the same way, so there is one transaction path to get right.
 */

/** etcd's default --max-txn-ops: operations per transaction branch. */
export const MAX_TXN_OPS = 128;
/**
 * Bytes of values one transaction should carry at most: etcd refuses requests over
 * --max-request-bytes (1.5 MiB by default); the rest is headroom for keys and framing.
 */
export const MAX_TXN_VALUE_BYTES = 1024 * 1024;
/**
 * The largest object Berth stores, in bytes of JSON: one object always fits a transaction of its
 * own, even encrypted (a Secret's base64 adds a third), under etcd's 1.5 MiB request limit.
 */
export const MAX_OBJECT_BYTES = 1024 * 1024;

/**
 * KeyGuard is a condition on one key:
 * - revision: the key is still at this mod revision (unchanged since it was read);
 * - absent: the key does not exist (a create);
 * - present: the key exists (the namespace of a new object);
 * - value: the key holds exactly this value (the leader key holds our identity).
 */
export type KeyGuard =
  | { key: string; expect: 'revision'; revision: string }
  | { key: string; expect: 'absent' }
  | { key: string; expect: 'present' }
  | { key: string; expect: 'value'; value: string };

/** KeyWrite puts a value (bound to a lease when `leaseId` is set) or deletes a key. */
export type KeyWrite = { key: string; put: string; leaseId?: string } | { key: string; delete: true };

/** GuardedChange: `writes` are applied together, and only if every guard holds. */
export interface GuardedChange {
  guards: KeyGuard[];
  writes: KeyWrite[];
}

/** StoredValue is what a key holds now, as a failed guard reports it. */
export interface StoredValue {
  key: string;
  value: Buffer;
  modRevision: string;
}

/**
 * ChangeResult says what became of one change:
 * - committed: written at this revision;
 * - conflict: a guard failed and nothing was written; `current` holds, per guard, what its key
 *   holds now (undefined: the key does not exist), so the caller can plan again;
 * - error: etcd did not answer; nothing is known to be written.
 */
export type ChangeResult =
  | { kind: 'committed'; revision: string }
  | { kind: 'conflict'; current: (StoredValue | undefined)[] }
  | { kind: 'error'; error: unknown };

/** guardHolds tells whether a guard is met by what its key holds now. */
export function guardHolds(guard: KeyGuard, current: StoredValue | undefined): boolean {
  switch (guard.expect) {
    case 'revision':
      return current !== undefined && current.modRevision === guard.revision;
    case 'absent':
      return current === undefined;
    case 'present':
      return current !== undefined;
    case 'value':
      return current !== undefined && current.value.toString('utf8') === guard.value;
  }
}

/**
 * decodeStored turns what a failed guard reports back into the object it holds. It reads the
 * value as stored, without the ObjectStore's transformer: only for kinds stored as they are
 * (not Secrets, which are encrypted).
 */
export function decodeStored(stored: StoredValue): BerthObject {
  return decodeObject({ value: stored.value, mod_revision: stored.modRevision });
}

/** createObject: write a new object, only if its key is free. */
export function createObject(info: ResourceInfo, object: BerthObject, leaseId?: string): GuardedChange {
  const key = objectKey(info, object.metadata.namespace, object.metadata.name);
  return { guards: [{ key, expect: 'absent' }], writes: [{ key, put: encodeObject(object), ...(leaseId ? { leaseId } : {}) }] };
}

/** updateObject: replace an object, only if it is still at its metadata.resourceVersion. */
export function updateObject(info: ResourceInfo, object: BerthObject, leaseId?: string): GuardedChange {
  const key = objectKey(info, object.metadata.namespace, object.metadata.name);
  return {
    guards: [{ key, expect: 'revision', revision: object.metadata.resourceVersion ?? '0' }],
    writes: [{ key, put: encodeObject(object), ...(leaseId ? { leaseId } : {}) }],
  };
}

/** deleteObject: remove an object, only if it is still at `revision`. */
export function deleteObject(info: ResourceInfo, namespace: string | undefined, name: string, revision: string): GuardedChange {
  const key = objectKey(info, namespace, name);
  return { guards: [{ key, expect: 'revision', revision }], writes: [{ key, delete: true }] };
}

/** confirmUnchanged: write nothing, but only succeed if the object is still at its resourceVersion. */
export function confirmUnchanged(info: ResourceInfo, object: BerthObject): GuardedChange {
  const key = objectKey(info, object.metadata.namespace, object.metadata.name);
  return { guards: [{ key, expect: 'revision', revision: object.metadata.resourceVersion ?? '0' }], writes: [] };
}

/** combine makes one change of several: all their writes, only if all their guards hold (each guard once). */
export function combine(changes: readonly GuardedChange[], extraGuards: readonly KeyGuard[] = []): GuardedChange {
  const guards = new Map<string, KeyGuard>();
  for (const g of [...changes.flatMap((c) => c.guards), ...extraGuards]) guards.set(JSON.stringify(g), g);
  return { guards: [...guards.values()], writes: changes.flatMap((c) => c.writes) };
}

/** ClaimKey is a key that marks something as taken (an address, a port), holding its owner's name. */
export interface ClaimKey {
  key: string;
  owner: string;
}

/** takeClaims: create each claim key naming its owner, only if none exists yet. */
export function takeClaims(claims: readonly ClaimKey[]): GuardedChange {
  return { guards: claims.map((c) => ({ key: c.key, expect: 'absent' as const })), writes: claims.map((c) => ({ key: c.key, put: c.owner })) };
}

/** releaseClaims: delete each claim key, only if it still names its owner. */
export function releaseClaims(claims: readonly ClaimKey[]): GuardedChange {
  return { guards: claims.map((c) => ({ key: c.key, expect: 'value' as const, value: c.owner })), writes: claims.map((c) => ({ key: c.key, delete: true as const })) };
}
