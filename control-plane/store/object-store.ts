import type { Etcd3, IKeyValue } from 'etcd3';
import type { BerthObject } from '../../proto/objects/meta.js';
import { listPrefix, objectKey, qualifiedResource } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { deepCopy } from '../objects/json.js';
import { heldClaims } from '../objects/service-claims.js';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../errors.js';
import { decodeObject, withRevision } from './codec.js';
import { runTxn } from './etcd-txn.js';
import type { TxnOutcome } from './etcd-txn.js';
import { commitChanges } from './guarded-commit.js';
import { combine, createObject, deleteObject, MAX_TXN_OPS, releaseClaims, updateObject } from './guarded-change.js';
import type { ChangeResult, GuardedChange } from './guarded-change.js';
import { grantLease } from './leases.js';
import type { StoreLease } from './leases.js';
import { PrefixWatch } from './prefix-watch.js';
import type { PrefixWatchOptions } from './prefix-watch.js';
import { RawKeys } from './raw-keys.js';
import { asStoreError } from './store-errors.js';
import { IDENTITY } from './value-transformer.js';
import type { ValueTransformer } from './value-transformer.js';

/** ListResult is a consistent snapshot: every item as of `revision`. */
export interface ListResult {
  items: BerthObject[];
  revision: string;
}

/** A mutation for guaranteedUpdate: return the new object, or undefined to leave it as it is. */
export type Mutation = (current: BerthObject) => BerthObject | undefined;

const MAX_CONFLICT_RETRIES = 50;

/**
 * ObjectStore keeps Berth objects in etcd, one key per object, and is the only code that talks
 * to etcd. Every write is a transaction guarded on the key's revision: create requires the key
 * to be absent, update and delete require its mod_revision to equal the resourceVersion the
 * caller read. A stale write fails with ConflictError; it never overwrites. Writes that must
 * happen together (a binding batch, a node and its pod-CIDR claim) are GuardedChanges, sent with
 * transact (one) or commit (many, group-committed). Leases and the few keys that are not objects
 * (leader key, claims) are reached through lease() and `keys`.
 */
export class ObjectStore {
  /** Reads and watches of the keys that are not objects. */
  readonly keys: RawKeys;

  /** `transformer` changes values per key on the way to etcd and back (Secrets are encrypted at rest). */
  constructor(private readonly client: Etcd3, private readonly transformer: ValueTransformer = IDENTITY) {
    this.keys = new RawKeys(client);
  }

  /** decode reads a stored key-value back into its object, through the transformer. */
  private readonly decode = (kv: { key: Buffer; value: Buffer; mod_revision: string }): BerthObject =>
    decodeObject({ value: this.transformer.fromStorage(kv.key.toString('utf8'), kv.value), mod_revision: kv.mod_revision });

  /**
   * tryGet reads one object. `serializable` reads from the local member without a quorum round:
   * cheaper, possibly a little stale. Use it only to plan a write that is guarded on the revision
   * read, where a stale read costs a retry and never a wrong write.
   */
  async tryGet(info: ResourceInfo, namespace: string | undefined, name: string, options: { serializable?: boolean } = {}): Promise<BerthObject | undefined> {
    const res = await this.call(() => this.client.get(objectKey(info, namespace, name)).serializable(options.serializable ?? false).exec());
    const kv = res.kvs[0];
    return kv ? this.decode(kv) : undefined;
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
        out.push(kv ? this.decode(kv) : undefined);
      }
    }
    return out;
  }

  async get(info: ResourceInfo, namespace: string | undefined, name: string): Promise<BerthObject> {
    const object = await this.tryGet(info, namespace, name);
    if (!object) throw new NotFoundError(qualifiedResource(info), name);
    return object;
  }

  /**
   * list reads one namespace (or all, when namespace is undefined) at a single revision. A value
   * that cannot be read (a Secret under a key the control plane lacks) fails the list, unless
   * `onUnreadable` is given: then it is skipped and reported there (an informer keeps serving the rest).
   */
  async list(info: ResourceInfo, namespace?: string, options: { onUnreadable?: (key: string, err: unknown) => void } = {}): Promise<ListResult> {
    const res = await this.call(() => this.client.getAll().prefix(listPrefix(info, namespace)).exec());
    const items: BerthObject[] = [];
    for (const kv of res.kvs) {
      try {
        items.push(this.decode(kv));
      } catch (err) {
        if (!options.onUnreadable) throw err;
        options.onUnreadable(kv.key.toString('utf8'), err);
      }
    }
    return { items, revision: String(res.header.revision) };
  }

  /**
   * create writes a new object; the caller has already set uid and creationTimestamp. With
   * `leaseId` the key is bound to an etcd lease and vanishes when it expires (Events do this).
   */
  async create(info: ResourceInfo, object: BerthObject, options: { leaseId?: string } = {}): Promise<BerthObject> {
    const outcome = await this.transact(createObject(info, object, options.leaseId));
    if (!outcome.committed) throw new AlreadyExistsError(qualifiedResource(info), object.metadata.name);
    return withRevision(object, outcome.revision);
  }

  /**
   * createAll creates every object in one transaction, only if none of their keys exists and
   * every key in `mustExist` does (e.g. their namespaces). All or nothing: returns the objects
   * as stored, or undefined when a condition failed and nothing was written.
   */
  async createAll(items: { info: ResourceInfo; object: BerthObject }[], mustExist: string[]): Promise<BerthObject[] | undefined> {
    if (items.length + mustExist.length > MAX_TXN_OPS) throw new RangeError(`createAll takes at most ${MAX_TXN_OPS} keys`);
    const change = combine(
      items.map(({ info, object }) => createObject(info, object)),
      mustExist.map((key) => ({ key, expect: 'present' as const })),
    );
    const outcome = await this.transact(change);
    if (!outcome.committed) return undefined;
    return items.map(({ object }) => withRevision(object, outcome.revision));
  }

  /** update replaces an object if, and only if, it is still at object.metadata.resourceVersion. */
  async update(info: ResourceInfo, object: BerthObject, options: { leaseId?: string } = {}): Promise<BerthObject> {
    if (!object.metadata.resourceVersion) throw new ConflictError(qualifiedResource(info), object.metadata.name, 'an update needs the resourceVersion it was based on');
    const outcome = await this.transact(updateObject(info, object, options.leaseId));
    if (!outcome.committed) {
      const exists = [...outcome.current.values()][0] !== undefined;
      if (!exists) throw new NotFoundError(qualifiedResource(info), object.metadata.name);
      throw new ConflictError(qualifiedResource(info), object.metadata.name);
    }
    return withRevision(object, outcome.revision);
  }

  /**
   * delete removes an object. With a precondition, only at that resourceVersion; without one,
   * at the revision just read, so the object returned is exactly the one deleted. The claims the
   * object holds (a Service's ClusterIP and nodePorts) are released in the same transaction,
   * whoever deletes it (the API, a namespace's deletion, the garbage collector).
   */
  async delete(info: ResourceInfo, namespace: string | undefined, name: string, precondition?: string): Promise<BerthObject> {
    // Claims found naming someone else are left alone (a claim is only ever released by its owner).
    const notOurs = new Set<string>();
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const current = await this.get(info, namespace, name);
      const revision = precondition ?? (current.metadata.resourceVersion as string);
      const claims = heldClaims(current).filter((c) => !notOurs.has(c.key));
      const outcome = await this.transact(combine([deleteObject(info, namespace, name, revision), releaseClaims(claims)]));
      if (outcome.committed) return current;
      const objectUnchanged = outcome.current.get(objectKey(info, namespace, name))?.modRevision === revision;
      if (precondition && !objectUnchanged) throw new ConflictError(qualifiedResource(info), name);
      for (const c of claims) if (outcome.current.get(c.key)?.value.toString('utf8') !== c.owner) notOurs.add(c.key);
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
   * transact writes one guarded change in one etcd transaction. On a failed guard nothing is
   * written and the outcome says what every guarded key holds now. Throws StoreUnavailableError
   * when etcd does not answer.
   */
  transact(change: GuardedChange): Promise<TxnOutcome> {
    const writes = change.writes.map((w) => ('put' in w ? { ...w, put: this.transformer.toStorage(w.key, w.put) } : w));
    return this.call(() => runTxn(this.client, { guards: change.guards, writes }));
  }

  /**
   * commit writes many independent guarded changes, group-committed into as few transactions as
   * etcd's limits allow; each change succeeds or conflicts on its own (see commitChanges). It
   * never throws: etcd failures are `error` results.
   */
  commit(changes: readonly GuardedChange[]): Promise<ChangeResult[]> {
    return commitChanges((change) => this.transact(change), changes);
  }

  /** lease makes an etcd lease; see StoreLease. */
  lease(ttlSeconds: number, options: { keepAlive: boolean }): StoreLease {
    return grantLease(this.client, ttlSeconds, options);
  }

  /** watch streams changes under a resource (and namespace); see PrefixWatch for the guarantees. */
  watch(info: ResourceInfo, namespace: string | undefined, options: Omit<PrefixWatchOptions, 'prefix' | 'decode' | 'tombstone'> = {}): PrefixWatch {
    return new PrefixWatch(this.client, {
      ...options,
      prefix: listPrefix(info, namespace),
      decode: this.decode,
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
      throw asStoreError(err);
    }
  }
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
