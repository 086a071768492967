import { randomInt } from 'node:crypto';
import type { Logger } from 'winston';
import { MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from '../../proto/objects/discovery.js';
import type { EndpointSlice } from '../../proto/objects/discovery.js';
import type { Pod } from '../../proto/objects/pod.js';
import type { Endpoints, Service } from '../../proto/objects/service.js';
import { RESOURCE } from '../../proto/resources.js';
import { newIdentity } from '../objects/identity.js';
import { createObject, deleteObject, updateObject } from '../store/guarded-change.js';
import type { GuardedChange } from '../store/guarded-change.js';
import type { ObjectStore } from '../store/object-store.js';
import type { StoreEventType } from '../store/prefix-watch.js';
import { cacheKey } from '../watch/object-cache.js';
import type { ObjectCache } from '../watch/object-cache.js';
import { ChangeBatcher } from './change-batcher.js';
import { DONE, KeyedMutex, runUntilAborted } from './controller-util.js';
import { ENDPOINTSLICE_CONTROLLER, desiredGroups, isManagedSliceOf, mirroredGroups, podFingerprint, selects, selectsPods } from './endpoints-logic.js';
import type { EndpointGroup } from './endpoints-logic.js';
import { MAX_ENDPOINTS_PER_SLICE, planSlices } from './endpointslice-planner.js';
import type { SlicePlan } from './endpointslice-planner.js';
import { WorkQueue } from './work-queue.js';
import type { ReconcileResult } from './work-queue.js';

const endpointslices = RESOURCE.endpointslices;
const NAME_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** How soon to look again when the slice cache has not yet shown this controller's own last write. */
const CACHE_WAIT_MS = 20;

/** EndpointSliceControllerOptions tune the controller; the defaults are Kubernetes'. */
export interface EndpointSliceControllerOptions {
  workers?: number;
  maxEndpointsPerSlice?: number;
}

/**
 * EndpointSliceController keeps the EndpointSlices (discovery.k8s.io/v1) of every Service with a
 * selector: the pods it selects, with their ready / serving / terminating conditions, grouped by
 * resolved ports, at most 100 endpoints per slice (see planSlices). Each slice is labelled with
 * its Service (`kubernetes.io/service-name`) and this controller (`endpointslice.kubernetes.io/managed-by`)
 * and owned by the Service, so the garbage collector removes it with the Service.
 *
 * A Service without a selector gets the endpoints of the v1 Endpoints object of its name, if a
 * user wrote one (Kubernetes' EndpointSlice mirroring), kept by this same controller.
 *
 * Keys are Services (`namespace/name`). A Service or Endpoints change enqueues it; a pod change enqueues the
 * Services that select it (before or after the change), unless nothing that makes an endpoint
 * changed; a change to one of its slices (someone else's edit or deletion) enqueues its Service.
 * One reconcile plans from the informers and writes only the slices whose content changes, each
 * guarded on the revision it was planned from (creates on the name being free); the writes of
 * reconciles that end together share transactions. After a write, the Service is not planned
 * again until the slice informer has caught up with it, so a stale cache never adds a slice twice.
 * Lifecycle: construct (registers informer handlers), start(signal) runs workers until it aborts.
 */
export class EndpointSliceController {
  readonly queue = new WorkQueue('endpointslice');
  private readonly mutex = new KeyedMutex();
  private readonly batcher: ChangeBatcher;
  /** Service key → the etcd revision of this controller's last write of its slices. */
  private readonly writtenAt = new Map<string, number>();

  constructor(
    store: ObjectStore,
    private readonly services: ObjectCache,
    private readonly pods: ObjectCache,
    private readonly slices: ObjectCache,
    private readonly logger: Logger,
    private readonly options: EndpointSliceControllerOptions = {},
    /** The v1 Endpoints users write for Services without a selector, mirrored into slices. */
    private readonly endpoints?: ObjectCache,
  ) {
    this.batcher = new ChangeBatcher(store);
    endpoints?.onChange((_type, e) => this.queue.add(cacheKey(e)));
    services.onChange((_type, service) => this.queue.add(cacheKey(service)));
    pods.onChange((type, pod, previous) => this.onPodChange(type, pod as Pod, previous as Pod | undefined));
    slices.onChange((type, slice, previous) => {
      const known = type === 'DELETED' ? (previous ?? slice) : slice;
      const service = known.metadata.labels?.[SERVICE_NAME_LABEL];
      if (service && known.metadata.labels?.[MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER) this.queue.add(`${known.metadata.namespace ?? 'default'}/${service}`);
    });
  }

  start(signal: AbortSignal): Promise<void> {
    return runUntilAborted(this.queue, this.options.workers ?? 4, (key) => this.reconcile(key), this.logger, signal);
  }

  /** reconcile brings one Service's slices to what its pods say (one at a time per key). */
  reconcile(key: string): Promise<ReconcileResult> {
    return this.mutex.run(key, () => this.reconcileOnce(key));
  }

  private onPodChange(type: StoreEventType, pod: Pod, previous: Pod | undefined): void {
    if (type === 'MODIFIED' && previous && podFingerprint(previous) === podFingerprint(pod)) return;
    const namespace = pod.metadata.namespace ?? 'default';
    for (const service of this.services.list((o) => (o.metadata.namespace ?? 'default') === namespace) as Service[]) {
      if (selectsPods(service) && (selects(service, pod) || (previous !== undefined && selects(service, previous)))) this.queue.add(cacheKey(service));
    }
  }

  private async reconcileOnce(key: string): Promise<ReconcileResult> {
    const service = this.services.get(key) as Service | undefined;
    if (!service) {
      // The garbage collector removes the slices of a deleted Service (they name it as owner).
      this.writtenAt.delete(key);
      return DONE;
    }
    const written = this.writtenAt.get(key);
    if (written !== undefined && Number(this.slices.revision) < written) return { kind: 'requeueAfter', delayMs: CACHE_WAIT_MS };
    const existing = this.slices.list((o) => isManagedSliceOf(o as EndpointSlice, service)) as EndpointSlice[];
    const groups = this.desired(service);
    const plan: SlicePlan = groups
      ? planSlices(service, groups, existing, () => this.newName(service), this.options.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE)
      : { create: [], update: [], delete: existing };
    const changes: GuardedChange[] = [
      ...plan.create.map((s) => createObject(endpointslices, { ...s, metadata: { ...s.metadata, ...newIdentity() } })),
      ...plan.update.map((s) => updateObject(endpointslices, s)),
      ...plan.delete.map((s) => deleteObject(endpointslices, s.metadata.namespace, s.metadata.name, s.metadata.resourceVersion ?? '0')),
    ];
    if (changes.length === 0) return DONE;
    const results = await this.batcher.commit(changes);
    const revisions = results.flatMap((r) => (r.kind === 'committed' ? [Number(r.revision)] : []));
    if (revisions.length > 0) this.writtenAt.set(key, Math.max(...revisions));
    if (this.logger.isDebugEnabled()) this.logger.debug('endpoint slices written', { service: key, created: plan.create.length, updated: plan.update.length, deleted: plan.delete.length });
    const failed = results.find((r) => r.kind === 'error');
    if (failed?.kind === 'error') throw failed.error;
    // A conflict means the cache was behind etcd: plan again once it has caught up.
    return results.some((r) => r.kind === 'conflict') ? { kind: 'requeueAfter', delayMs: CACHE_WAIT_MS } : DONE;
  }

  /** desired is what the Service's slices should hold; undefined when it should have none (no selector, no Endpoints). */
  private desired(service: Service): Map<string, EndpointGroup> | undefined {
    if (selectsPods(service)) return desiredGroups(service, this.podsOf(service));
    const written = service.spec.type === 'ExternalName' ? undefined : (this.endpoints?.get(cacheKey(service)) as Endpoints | undefined);
    const mirrored = written && mirroredGroups(written);
    return mirrored && mirrored.size > 0 ? mirrored : undefined;
  }

  private podsOf(service: Service): Pod[] {
    const namespace = service.metadata.namespace ?? 'default';
    return this.pods.list((o) => (o.metadata.namespace ?? 'default') === namespace && selects(service, o as Pod)) as Pod[];
  }

  /** newName is `<service>-<5 random [a-z0-9]>`, as Kubernetes' generateName, and free in the cache. */
  private newName(service: Service): string {
    for (;;) {
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
      const name = `${service.metadata.name}-${suffix}`;
      if (!this.slices.get(`${service.metadata.namespace ?? 'default'}/${name}`)) return name;
    }
  }
}
