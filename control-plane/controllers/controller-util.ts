import type { Logger } from 'winston';
import { findCondition } from '../../proto/objects/conditions.js';
import type { BerthObject, OwnerReference } from '../../proto/objects/meta.js';
import type { Pod } from '../../proto/objects/pod.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Mutation, ObjectStore } from '../store/object-store.js';
import { runWorkers } from './work-queue.js';
import type { ReconcileResult, WorkQueue } from './work-queue.js';
import { deepCopy } from '../objects/json.js';

/** Helpers shared by the controllers: owner references, pod predicates, conditions, worker loops. */

/** controllerRef is the owner reference marked `controller: true`, the one object that manages this one. */
export function controllerRef(object: BerthObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** ownerReferenceTo builds the controller reference an owner puts on what it creates or adopts. */
export function ownerReferenceTo(owner: Pick<BerthObject, 'apiVersion' | 'kind' | 'metadata'>): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** isPodActive: a pod that counts toward replicas (not finished, not being deleted). */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}


/**
 * isPodAvailable: ready for at least minReadySeconds (Kubernetes' podutil.IsPodAvailable). A
 * ready pod without a transition time counts as available once minReadySeconds is 0.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  const ready = findCondition(pod.status?.conditions, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= nowMs;
}

/** ignoreNotFound ends a step quietly when its object is already gone. */
export async function ignoreNotFound<T>(op: Promise<T>): Promise<T | undefined> {
  try {
    return await op;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/**
 * updateFromCache is guaranteedUpdate that starts from an informer's copy instead of a read: the
 * write is guarded on the copy's revision, so a current copy (the usual case) costs one round
 * trip instead of two, and a stale one fails its guard and falls back to read, mutate, write.
 * `mutate` gets a copy and may be called twice. A deleted object ends quietly (undefined).
 */
export async function updateFromCache(store: ObjectStore, info: ResourceInfo, cached: BerthObject, mutate: Mutation): Promise<{ object: BerthObject; changed: boolean } | undefined> {
  const next = mutate(deepCopy(cached));
  if (!next) return { object: cached, changed: false };
  try {
    return { object: await store.update(info, next), changed: true };
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    if (!(err instanceof ConflictError)) throw err;
  }
  return ignoreNotFound(store.guaranteedUpdate(info, cached.metadata.namespace, cached.metadata.name, mutate));
}

/**
 * runUntilAborted runs a controller's workers until `signal` aborts, then shuts the queue down
 * and resolves once every worker has finished its current key.
 */
export async function runUntilAborted(queue: WorkQueue, workers: number, reconcile: (key: string) => Promise<ReconcileResult>, logger: Logger, signal: AbortSignal): Promise<void> {
  if (signal.aborted) {
    queue.shutdown();
    return;
  }
  const onAbort = () => queue.shutdown();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await runWorkers(queue, workers, reconcile, logger);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

export const DONE: ReconcileResult = { kind: 'done' };

/**
 * KeyedMutex runs one task per key at a time. The work queue already gives a key to one worker
 * at a time; this also makes reconcile safe when called directly (tests, tools) concurrently.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
