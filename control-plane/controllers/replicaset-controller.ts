import type { Logger } from 'winston';
import type { ReplicaSet } from '../../proto/objects/apps.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { Pod } from '../../proto/objects/pod.js';
import { matches, selectorFromLabelSelector } from '../../proto/labels.js';
import type { Selector } from '../../proto/labels.js';
import { RESOURCE } from '../../proto/resources.js';
import type { EventSink } from '../events/event-recorder.js';
import type { ObjectStore } from '../store/object-store.js';
import type { StoreEventType } from '../store/prefix-watch.js';
import { DONE, KeyedMutex, controllerRef, ignoreNotFound, isPodActive, ownerReferenceTo, runUntilAborted, updateFromCache } from './controller-util.js';
import { Expectations } from './expectations.js';
import { StatusPacer } from './status-pacer.js';
import { OwnedPods } from './owned-pods.js';
import { ReplicaCreator } from './replica-creator.js';
import { decideReplicas, nextAvailabilityCheckMs, replicaSetStatus } from './replicaset-logic.js';
import { WorkQueue } from './work-queue.js';
import type { ReconcileResult } from './work-queue.js';
import { deepEqual } from '../objects/json.js';
import { cacheKey, type ObjectCache } from '../watch/object-cache.js';

const replicasets = RESOURCE.replicasets;
const pods = RESOURCE.pods;

/** ReplicaSetControllerOptions tune the controller; the defaults are Kubernetes'. */
export interface ReplicaSetControllerOptions {
  workers?: number;
  /** Most pods created or deleted in one reconcile (kube-controller-manager's burstReplicas). */
  burstReplicas?: number;
  /** How long to wait for the informer to show our own writes before acting anyway. */
  expectationsTimeoutMs?: number;
  /** Least time between two status writes of one ReplicaSet (StatusPacer); 0 (default) writes every change. */
  statusIntervalMs?: number;
  now?: () => number;
}

/**
 * ReplicaSetController keeps spec.replicas active pods that match a ReplicaSet's selector and
 * name it as their controller. Keys are `namespace/name` of ReplicaSets; pod changes enqueue
 * their owner (or, for an orphan, every ReplicaSet that selects it, which may adopt it).
 *
 * One reconcile: claim pods (adopt matching orphans, release owned pods that no longer match),
 * then, unless writes of an earlier step are still unseen by the informer (expectations), create
 * or delete pods toward spec.replicas (failed pods are deleted and replaced), then write status
 * if it changed (at most once per statusIntervalMs). Lifecycle: construct (registers informer handlers), start(signal) runs workers
 * until the signal aborts; one start per instance.
 */
export class ReplicaSetController {
  readonly queue = new WorkQueue('replicaset');
  private readonly mutex = new KeyedMutex();
  readonly expectations: Expectations;
  private readonly creator: ReplicaCreator;
  /** Deletes pods with expectations and events; creation is the ReplicaCreator's (slow start, generated names). */
  private readonly owned: OwnedPods;
  private readonly statusPacer: StatusPacer;
  private readonly now: () => number;

  constructor(
    private readonly store: ObjectStore,
    private readonly replicaSets: ObjectCache,
    private readonly pods: ObjectCache,
    private readonly events: EventSink,
    private readonly logger: Logger,
    private readonly options: ReplicaSetControllerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.expectations = new Expectations(options.expectationsTimeoutMs ?? 30_000, this.now);
    this.creator = new ReplicaCreator(store, this.expectations, events, this.now);
    this.owned = new OwnedPods(store, pods, this.expectations, events);
    this.statusPacer = new StatusPacer(options.statusIntervalMs ?? 0, this.now);
    replicaSets.onChange((_type, rs) => this.queue.add(cacheKey(rs)));
    pods.onChange((type, pod, previous) => this.onPodChange(type, pod as Pod, previous as Pod | undefined));
  }

  start(signal: AbortSignal): Promise<void> {
    return runUntilAborted(this.queue, this.options.workers ?? 2, (key) => this.reconcile(key), this.logger, signal);
  }

  /** reconcile takes one step toward the desired state for `key` (one at a time per key). */
  reconcile(key: string): Promise<ReconcileResult> {
    return this.mutex.run(key, () => this.reconcileOnce(key));
  }

  private async reconcileOnce(key: string): Promise<ReconcileResult> {
    const rs = this.replicaSets.get(key) as ReplicaSet | undefined;
    if (!rs) {
      this.expectations.forget(key);
      this.statusPacer.forget(key);
      return DONE;
    }
    const nowMs = this.now();
    const mayAct = this.expectations.satisfied(key) && !rs.metadata.deletionTimestamp;
    const owned = await this.claimPods(rs);
    let failure: unknown;
    if (mayAct) {
      try {
        await this.manageReplicas(key, rs, owned);
      } catch (err) {
        failure = err;
      }
    }
    const statusWait = await this.updateStatus(key, rs, owned, nowMs);
    if (failure !== undefined) throw failure;
    const waits = [statusWait, nextAvailabilityCheckMs(rs, owned, nowMs)].filter((w): w is number => w !== undefined);
    return waits.length === 0 ? DONE : { kind: 'requeueAfter', delayMs: Math.min(...waits) };
  }

  private onPodChange(type: StoreEventType, pod: Pod, previous: Pod | undefined): void {
    // A deletion seen after a re-list carries only the key: the cache's last copy knows the owner.
    const known = type === 'DELETED' ? (previous ?? pod) : pod;
    const ref = controllerRef(known);
    if (ref?.kind === 'ReplicaSet') {
      const key = `${known.metadata.namespace ?? 'default'}/${ref.name}`;
      if (type === 'ADDED') this.expectations.observeCreate(key, pod.metadata.name);
      // A graceful delete is seen when the pod starts terminating, as in Kubernetes, not when it is finally gone.
      if (type === 'DELETED' || (pod.metadata.deletionTimestamp && !previous?.metadata.deletionTimestamp)) this.expectations.observeDelete(key, pod.metadata.name);
      this.queue.add(key);
    } else if (!ref && type !== 'DELETED') {
      for (const rs of this.selectingReplicaSets(pod)) this.queue.add(cacheKey(rs));
    }
    const before = previous && controllerRef(previous);
    if (type === 'MODIFIED' && before?.kind === 'ReplicaSet' && before.uid !== ref?.uid) this.queue.add(`${pod.metadata.namespace ?? 'default'}/${before.name}`);
  }

  private selectingReplicaSets(pod: Pod): ReplicaSet[] {
    return (this.replicaSets.list((o) => o.metadata.namespace === pod.metadata.namespace) as ReplicaSet[]).filter((rs) => {
      const selector = selectorFromLabelSelector(rs.spec.selector);
      return selector.length > 0 && matches(selector, pod.metadata.labels);
    });
  }

  /**
   * claimPods returns the pods this ReplicaSet controls, adopting active orphans its selector
   * matches and releasing owned pods whose labels no longer match (Kubernetes' PodControllerRefManager).
   */
  private async claimPods(rs: ReplicaSet): Promise<Pod[]> {
    const selector = selectorFromLabelSelector(rs.spec.selector);
    const owned: Pod[] = [];
    let ownerChecked = false;
    for (const pod of this.pods.list((o) => o.metadata.namespace === rs.metadata.namespace) as Pod[]) {
      const ref = controllerRef(pod);
      const selected = selector.length > 0 && matches(selector, pod.metadata.labels);
      if (ref) {
        if (ref.uid !== rs.metadata.uid) continue;
        if (selected) owned.push(pod);
        else await this.release(rs, pod);
        continue;
      }
      if (!selected || !isPodActive(pod) || rs.metadata.deletionTimestamp) continue;
      // Adopt only if this ReplicaSet is really the live one, not a cached predecessor of the same name.
      if (!ownerChecked) {
        const live = await this.store.tryGet(replicasets, rs.metadata.namespace, rs.metadata.name);
        if (live?.metadata.uid !== rs.metadata.uid) return owned;
        ownerChecked = true;
      }
      const adopted = await this.adopt(rs, pod, selector);
      if (adopted) owned.push(adopted);
    }
    return owned;
  }

  private async adopt(rs: ReplicaSet, pod: Pod, selector: Selector): Promise<Pod | undefined> {
    const result = await ignoreNotFound(
      this.store.guaranteedUpdate(pods, pod.metadata.namespace, pod.metadata.name, (current) => {
        if (controllerRef(current) || !matches(selector, current.metadata.labels)) return undefined;
        current.metadata.ownerReferences = [...(current.metadata.ownerReferences ?? []), ownerReferenceTo(rs)];
        return current;
      }),
    );
    if (!result || controllerRef(result.object)?.uid !== rs.metadata.uid) return undefined;
    this.logger.info('replicaset adopted pod', { replicaSet: cacheKey(rs), pod: pod.metadata.name });
    return result.object as Pod;
  }

  private async release(rs: ReplicaSet, pod: Pod): Promise<void> {
    await ignoreNotFound(
      this.store.guaranteedUpdate(pods, pod.metadata.namespace, pod.metadata.name, (current) => {
        const refs = current.metadata.ownerReferences ?? [];
        if (!refs.some((r) => r.uid === rs.metadata.uid)) return undefined;
        current.metadata.ownerReferences = refs.filter((r) => r.uid !== rs.metadata.uid);
        return current;
      }),
    );
    this.logger.info('replicaset released pod', { replicaSet: cacheKey(rs), pod: pod.metadata.name });
  }

  private async manageReplicas(key: string, rs: ReplicaSet, owned: Pod[]): Promise<void> {
    const decision = decideReplicas(rs.spec.replicas ?? 1, owned);
    if (decision.kind === 'steady') return;
    const burst = this.options.burstReplicas ?? 500;
    const victims = [...decision.failed, ...(decision.kind === 'delete' ? decision.pods : [])].slice(0, burst);
    await this.owned.delete(key, rs, victims);
    if (decision.kind === 'create') await this.creator.create(key, rs, Math.min(decision.count, burst));
  }

  /** updateStatus writes the status if it changed, or says how long to wait before it may (StatusPacer). */
  private async updateStatus(key: string, rs: ReplicaSet, owned: Pod[], nowMs: number): Promise<number | undefined> {
    const status = replicaSetStatus(rs, owned, nowMs);
    if (deepEqual(rs.status ?? {}, status)) return undefined;
    const wait = this.statusPacer.waitMs(key);
    if (wait > 0) return wait;
    await updateFromCache(this.store, replicasets, rs, (current: BerthObject) => {
      if (current.metadata.uid !== rs.metadata.uid || deepEqual(current.status ?? {}, status)) return undefined;
      current.status = status;
      return current;
    });
    this.statusPacer.wrote(key);
    return undefined;
  }
}
