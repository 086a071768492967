import type { Etcd3, IKeyValue } from 'etcd3';
import type { BerthObject } from '../../proto/objects/meta.js';
import { listPrefix, objectKey, qualifiedResource } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { AlreadyExistsError, ConflictError, NotFoundError, StoreUnavailableError } from '../errors.js';
import { decodeObject, encodeObject } from './codec.js';
import { PrefixWatch } from './prefix-watch.js';
import type { PrefixWatchOptions } from './prefix-watch.js';
import { deepCopy } from '../objects/json.js';

/** ListResult is a consistent snapshot: every item as of `revision`. */
export interface ListResult {
  items: BerthObject[];
  revision: string;
}

/** A mutation for guaranteedUpdate: return the new object, or undefined to leave it as it is. */
export type Mutation = (current: BerthObject) => BerthObject | undefined;

const MAX_CONFLICT_RETRIES = 50;
/** etcd's default --max-txn-ops: operations per transaction branch. */
export const MAX_TXN_OPS = 128;
/**
 * Bytes of values one transaction should carry at most: etcd refuses requests over
 * --max-request-bytes (1.5 MiB by default); the rest is headroom for keys and framing.
 */
export const MAX_TXN_VALUE_BYTES = 1024 * 1024;

/**
 * ObjectStore keeps Berth objects in etcd, one key per object (DESIGN.md section 2).
 * Every write is a transaction guarded on the key's revision: create requires the key to be
 * absent, update and delete require its mod_revision to equal the resourceVersion the caller
 * read. A stale write fails with ConflictError; it never overwrites.
 */
export class ObjectStore {
  constructor(private readonly client: Etcd3) {}

  /** etcd is the client, for callers that need an etcd lease (events) or a raw transaction (binding). */
  get etcd(): Etcd3 {
    return this.client;
  }

  /**
   * tryGet reads one object. `serializable` reads from the local member without a quorum round:
   * cheaper, possibly a little stale. Use it only to plan a write that is guarded on the revision
   * read, where a stale read costs a retry and never a wrong write.
   */
  async tryGet(info: ResourceInfo, namespace: string | undefined, name: string, options: { serializable?: boolean } = {}): Promise<BerthObject | undefined> {
    const res = await this.call(() => this.client.get(objectKey(info, namespace, name)).serializable(options.serializable ?? false).exec());
    const kv = res.kvs[0];
    return kv ? decodeObject(kv) : undefined;
  }

  /**
   * getMany reads several objects in one etcd transaction: one round trip, one revision, for
   * all of them (etcd allows 128 operations per transaction, so larger sets take several).
   */
  async getMany(refs: { info: ResourceInfo; namespace: string | undefined; name: string }[]): Promise<(BerthObject | undefined)[]> {
    const out: (BerthObject | undefined)[] = [];
    for (let start = 0; start < refs.length; start += MAX_TXN_OPS) {
      const chunk = refs.slice(start, start + MAX_TXN_OPS);
      const res = await this.call(() =>
        this.client.kv.txn({
          compare: [],
          success: chunk.map((r) => ({ request_range: { key: Buffer.from(objectKey(r.info, r.namespace, r.name)) } })),
          failure: [],
        }),
      );
      for (const response of res.responses) {
        const kv = response.response_range?.kvs[0];
        out.push(kv ? decodeObject(kv) : undefined);
      }
    }
    return out;
  }

  async get(info: ResourceInfo, namespace: string | undefined, name: string): Promise<BerthObject> {
    const object = await this.tryGet(info, namespace, name);
    if (!object) throw new NotFoundError(qualifiedResource(info), name);
    return object;
  }

  /** list reads one namespace (or all, when namespace is undefined) at a single revision. */
  async list(info: ResourceInfo, namespace?: string): Promise<ListResult> {
    const res = await this.call(() => this.client.getAll().prefix(listPrefix(info, namespace)).exec());
    return { items: res.kvs.map(decodeObject), revision: String(res.header.revision) };
  }

  /**
   * create writes a new object; the caller has already set uid and creationTimestamp. With
   * `leaseId` the key is bound to an etcd lease and vanishes when it expires (Events do this).
   */
  async create(info: ResourceInfo, object: BerthObject, options: { leaseId?: string } = {}): Promise<BerthObject> {
    const key = objectKey(info, object.metadata.namespace, object.metadata.name);
    const put = this.client.put(key).value(encodeObject(object));
    if (options.leaseId) put.lease(options.leaseId);
    const res = await this.call(() => this.client.if(key, 'Create', '==', 0).then(put).commit());
    if (!res.succeeded) throw new AlreadyExistsError(qualifiedResource(info), object.metadata.name);
    return withRevision(object, res.header.revision);
  }

  /**
   * createAll creates every object in one transaction, only if none of their keys exists and
   * every key in `mustExist` does (e.g. their namespaces). All or nothing: returns the objects
   * as stored, or undefined when a condition failed and nothing was written. With `leaseId`
   * every key is bound to that etcd lease.
   */
  async createAll(items: { info: ResourceInfo; object: BerthObject }[], mustExist: string[], options: { leaseId?: string } = {}): Promise<BerthObject[] | undefined> {
    if (items.length + mustExist.length > MAX_TXN_OPS) throw new RangeError(`createAll takes at most ${MAX_TXN_OPS} keys`);
    const keys = items.map(({ info, object }) => Buffer.from(objectKey(info, object.metadata.namespace, object.metadata.name)));
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [
          ...keys.map((key) => ({ key, target: 'Create' as const, result: 'Equal' as const, create_revision: '0' })),
          ...mustExist.map((k) => ({ key: Buffer.from(k), target: 'Create' as const, result: 'Greater' as const, create_revision: '0' })),
        ],
        success: items.map(({ object }, i) => ({ request_put: { key: keys[i] as Buffer, value: Buffer.from(encodeObject(object)), ...(options.leaseId ? { lease: options.leaseId } : {}) } })),
        failure: [],
      }),
    );
    if (!res.succeeded) return undefined;
    return items.map(({ object }) => withRevision(object, res.header.revision));
  }

  /** update replaces an object if, and only if, it is still at object.metadata.resourceVersion. */
  async update(info: ResourceInfo, object: BerthObject, options: { leaseId?: string } = {}): Promise<BerthObject> {
    const key = objectKey(info, object.metadata.namespace, object.metadata.name);
    const expected = object.metadata.resourceVersion;
    if (!expected) throw new ConflictError(qualifiedResource(info), object.metadata.name, 'an update needs the resourceVersion it was based on');
    const put = this.client.put(key).value(encodeObject(object));
    if (options.leaseId) put.lease(options.leaseId);
    const res = await this.call(() => this.client.if(key, 'Mod', '==', expected).then(put).else(this.client.get(key)).commit());
    if (!res.succeeded) {
      const exists = (res.responses[0]?.response_range?.kvs.length ?? 0) > 0;
      if (!exists) throw new NotFoundError(qualifiedResource(info), object.metadata.name);
      throw new ConflictError(qualifiedResource(info), object.metadata.name);
    }
    return withRevision(object, res.header.revision);
  }

  /**
   * delete removes an object. With a precondition, only at that resourceVersion; without one,
   * at the revision just read, so the object returned is exactly the one deleted.
   */
  async delete(info: ResourceInfo, namespace: string | undefined, name: string, precondition?: string): Promise<BerthObject> {
    const key = objectKey(info, namespace, name);
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const current = await this.get(info, namespace, name);
      const revision = precondition ?? (current.metadata.resourceVersion as string);
      const res = await this.call(() => this.client.if(key, 'Mod', '==', revision).then(this.client.delete().key(key)).commit());
      if (res.succeeded) return current;
      if (precondition) throw new ConflictError(qualifiedResource(info), name);
    }
    throw new ConflictError(qualifiedResource(info), name, 'it kept changing while being deleted');
  }

  /**
   * guaranteedUpdate reads, applies `mutate` to a copy, and writes guarded on the revision it
   * read, re-reading and retrying on conflict. Returns the stored object and whether it changed.
   */
  async guaranteedUpdate(info: ResourceInfo, namespace: string | undefined, name: string, mutate: Mutation, options: { leaseId?: string } = {}): Promise<{ object: BerthObject; changed: boolean }> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const current = await this.get(info, namespace, name);
      const next = mutate(deepCopy(current));
      if (!next) return { object: current, changed: false };
      next.metadata.resourceVersion = current.metadata.resourceVersion;
      try {
        return { object: await this.update(info, next, options), changed: true };
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    throw new ConflictError(qualifiedResource(info), name, `still conflicting after ${MAX_CONFLICT_RETRIES} attempts`);
  }

  /**
   * commitIfUnchanged is a multi-key guarded write in one round trip: every key in `guards` must
   * still be at its mod revision, and then `puts` are written (all or nothing). A guard may have no
   * put: that confirms a read without writing. On failure nothing is written and `current` holds,
   * per guard, what its key holds now (undefined: the key is gone), so the caller can plan again.
   * At most MAX_TXN_OPS guards.
   */
  async commitIfUnchanged(guards: { key: string; revision: string }[], puts: { key: string; value: string }[]): Promise<{ committed: true; revision: string } | { committed: false; current: (IKeyValue | undefined)[] }> {
    if (guards.length > MAX_TXN_OPS || puts.length > MAX_TXN_OPS) throw new RangeError(`commitIfUnchanged takes at most ${MAX_TXN_OPS} keys`);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: guards.map((g) => ({ key: Buffer.from(g.key), target: 'Mod' as const, result: 'Equal' as const, mod_revision: g.revision })),
        success: puts.map((p) => ({ request_put: { key: Buffer.from(p.key), value: Buffer.from(p.value) } })),
        failure: guards.map((g) => ({ request_range: { key: Buffer.from(g.key) } })),
      }),
    );
    if (res.succeeded) return { committed: true, revision: String(res.header.revision) };
    return { committed: false, current: guards.map((_g, i) => res.responses[i]?.response_range?.kvs[0]) };
  }

  /** watch streams changes under a resource (and namespace); see PrefixWatch for the guarantees. */
  watch(info: ResourceInfo, namespace: string | undefined, options: Omit<PrefixWatchOptions, 'prefix' | 'decode' | 'tombstone'> = {}): PrefixWatch {
    return new PrefixWatch(this.client, {
      ...options,
      prefix: listPrefix(info, namespace),
      decode: decodeObject,
      tombstone: (kv: IKeyValue, revision: string) => tombstoneFor(info, kv, revision),
    });
  }

  /** currentRevision is etcd's revision now (a cheap read of an absent key). */
  async currentRevision(): Promise<string> {
    const res = await this.call(() => this.client.get('/berth/.revision-probe').exec());
    return String(res.header.revision);
  }

  private async call<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof Error && /unavailable|ECONNREFUSED|deadline|Broken|circuit/i.test(`${err.name} ${err.message}`)) {
        throw new StoreUnavailableError(err);
      }
      throw err;
    }
  }
}

function withRevision(object: BerthObject, revision: string | number): BerthObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } };
}

/** tombstoneFor rebuilds the identity of an object whose value we no longer have. */
function tombstoneFor(info: ResourceInfo, kv: IKeyValue, revision: string): BerthObject {
  const parts = kv.key.toString('utf8').split('/').filter((p) => p !== '');
  const name = parts[parts.length - 1] ?? '';
  const namespace = info.namespaced ? parts[parts.length - 2] : undefined;
  return {
    apiVersion: info.apiVersion,
    kind: info.kind,
    metadata: { name, ...(namespace ? { namespace } : {}), resourceVersion: revision },
  };
}
