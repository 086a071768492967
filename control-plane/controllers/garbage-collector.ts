import type { Logger } from 'winston';
import type { BerthObject, OwnerReference } from '../../proto/objects/meta.js';
import { RESOURCE, resourceForKind } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import type { EventSink } from '../events/event-recorder.js';
import type { ObjectStore } from '../store/object-store.js';
import { deletePod } from '../store/pod-deletion.js';
import { DONE, KeyedMutex, ignoreNotFound, runUntilAborted } from './controller-util.js';
import { WorkQueue } from './work-queue.js';
import type { ReconcileResult } from './work-queue.js';
import { deepEqual } from '../objects/json.js';
import { cacheKey, type ObjectCache } from '../watch/object-cache.js';

/** GarbageCollectorOptions tune the collector. */
export interface GarbageCollectorOptions {
  workers?: number;
}

/** gcKey names a dependent in the collector's queue: `<resource>/<namespace>/<name>`. */
export function gcKey(info: ResourceInfo, object: BerthObject): string {
  return `${info.resource}/${cacheKey(object)}`;
}

/** OwnerVerdict is what the collector concludes about one dependent. */
export type OwnerVerdict =
  /** Some owner exists (or is of a kind the collector cannot check): keep it. */
  | { kind: 'keep'; dangling: OwnerReference[] }
  /** Every owner is gone: delete it (background cascading deletion). */
  | { kind: 'delete' };

/**
 * GarbageCollector deletes objects whose owners are gone (Kubernetes' background cascading
 * deletion): when a Deployment is deleted its ReplicaSets go, and with them their pods. It also
 * catches dependents that name an owner uid that no longer exists (orphans of an owner deleted
 * and re-created under the same name), and strips dangling references from dependents that
 * still have a live owner. Keys are gcKey(dependent); an owner's deletion enqueues every object
 * that references its uid, and a dependent's creation or owner change enqueues itself.
 *
 * Owners are looked up in the informers first; a miss is confirmed against etcd before anything
 * is deleted, so a lagging cache never deletes a dependent whose owner was just created.
 * Lifecycle: construct with the informers of every kind that owns or is owned, start(signal).
 */
export class GarbageCollector {
  readonly queue = new WorkQueue('garbage-collector');
  private readonly mutex = new KeyedMutex();
  private readonly byResource = new Map<string, ObjectCache>();
  /** owner uid → gcKeys of the objects that reference it, so an owner's deletion finds its dependents at once. */
  private readonly dependents = new Map<string, Set<string>>();

  constructor(
    private readonly store: ObjectStore,
    informers: readonly ObjectCache[],
    // Taken like every controller's; the collector records no events (Kubernetes' does not either).
    _events: EventSink,
    private readonly logger: Logger,
    private readonly options: GarbageCollectorOptions = {},
  ) {
    for (const informer of informers) {
      this.byResource.set(informer.info.resource, informer);
      informer.onChange((type, object, previous) => {
        const key = gcKey(informer.info, object);
        const before = previous?.metadata.ownerReferences ?? [];
        const after = type === 'DELETED' ? [] : (object.metadata.ownerReferences ?? []);
        this.index(key, before, after);
        if (type === 'DELETED') {
          const uid = (previous ?? object).metadata.uid;
          for (const dependent of (uid && this.dependents.get(uid)) || []) this.queue.add(dependent);
          return;
        }
        // Most changes (status) leave the references as they were: the plain text comparison settles those cheaply.
        if (after.length > 0 && (type === 'ADDED' || (JSON.stringify(after) !== JSON.stringify(before) && !deepEqual(after, before)))) this.queue.add(key);
      });
    }
  }

  start(signal: AbortSignal): Promise<void> {
    return runUntilAborted(this.queue, this.options.workers ?? 2, (key) => this.reconcile(key), this.logger, signal);
  }

  /** reconcile takes one step toward the desired state for `key` (one at a time per key). */
  reconcile(key: string): Promise<ReconcileResult> {
    return this.mutex.run(key, () => this.reconcileOnce(key));
  }

  private async reconcileOnce(key: string): Promise<ReconcileResult> {
    const slash = key.indexOf('/');
    const informer = this.byResource.get(key.slice(0, slash));
    const object = informer?.get(key.slice(slash + 1));
    if (!informer || !object || (object.metadata.ownerReferences ?? []).length === 0) return DONE;
    const verdict = await this.judge(object);
    if (verdict.kind === 'keep' && verdict.dangling.length === 0) return DONE;
    const info = informer.info;
    const namespace = info.namespaced ? object.metadata.namespace : undefined;
    if (verdict.kind === 'delete') {
      const current = await this.store.tryGet(info, namespace, object.metadata.name);
      if (!current || current.metadata.uid !== object.metadata.uid) return DONE;
      // Guarded on the revision just judged: a dependent adopted meanwhile is judged again. A pod goes gracefully.
      const revision = object.metadata.resourceVersion;
      const deletion: Promise<unknown> =
        info.kind === 'Pod'
          ? deletePod(this.store, namespace ?? 'default', object.metadata.name, revision ? { precondition: revision } : {})
          : this.store.delete(info, namespace, object.metadata.name, revision);
      await ignoreNotFound(deletion);
      this.logger.info('garbage collector deleted an object whose owners are gone', { object: key, owners: (object.metadata.ownerReferences ?? []).map((r) => `${r.kind}/${r.name}`) });
      return DONE;
    }
    const danglingUids = new Set(verdict.dangling.map((r) => r.uid));
    await ignoreNotFound(
      this.store.guaranteedUpdate(info, namespace, object.metadata.name, (current) => {
        const refs = current.metadata.ownerReferences ?? [];
        if (current.metadata.uid !== object.metadata.uid || !refs.some((r) => danglingUids.has(r.uid))) return undefined;
        current.metadata.ownerReferences = refs.filter((r) => !danglingUids.has(r.uid));
        return current;
      }),
    );
    return DONE;
  }

  /** judge looks up every owner: alive when an object of that kind and name has the referenced uid. */
  private async judge(object: BerthObject): Promise<OwnerVerdict> {
    const dangling: OwnerReference[] = [];
    let alive = false;
    for (const ref of object.metadata.ownerReferences ?? []) {
      const info = resourceForKind(ref.apiVersion, ref.kind);
      if (!info) {
        alive = true;
        continue;
      }
      const namespace = info.namespaced ? object.metadata.namespace : undefined;
      const cached = this.byResource.get(info.resource)?.get(info.namespaced ? `${namespace ?? 'default'}/${ref.name}` : ref.name);
      if (cached?.metadata.uid === ref.uid) {
        alive = true;
        continue;
      }
      const live = await this.store.tryGet(info, namespace, ref.name);
      if (live?.metadata.uid === ref.uid) alive = true;
      else dangling.push(ref);
    }
    return alive ? { kind: 'keep', dangling } : { kind: 'delete' };
  }

  private index(key: string, before: readonly OwnerReference[], after: readonly OwnerReference[]): void {
    for (const ref of before) {
      const set = this.dependents.get(ref.uid);
      set?.delete(key);
      if (set?.size === 0) this.dependents.delete(ref.uid);
    }
    for (const ref of after) {
      const set = this.dependents.get(ref.uid) ?? new Set<string>();
      set.add(key);
      this.dependents.set(ref.uid, set);
    }
  }
}

/** The resources whose objects own or are owned by others today (a Service owns its EndpointSlices, a DaemonSet or Job its pods). */
export const GC_RESOURCES: readonly ResourceInfo[] = [RESOURCE.deployments, RESOURCE.replicasets, RESOURCE.pods, RESOURCE.services, RESOURCE.endpointslices, RESOURCE.daemonsets, RESOURCE.jobs];
