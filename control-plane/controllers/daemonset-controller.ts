import type { Logger } from 'winston';
import type { Node } from '../../proto/objects/cluster.js';
import type { DaemonSet } from '../../proto/objects/daemonset.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE } from '../../proto/resources.js';
import type { EventSink } from '../events/event-recorder.js';
import { newIdentity } from '../objects/identity.js';
import { deepEqual } from '../objects/json.js';
import type { ObjectStore } from '../store/object-store.js';
import type { StoreEventType } from '../store/prefix-watch.js';
import { cacheKey, type ObjectCache } from '../watch/object-cache.js';
import { DONE, KeyedMutex, controllerRef, runUntilAborted, updateFromCache } from './controller-util.js';
import { daemonPodFor, daemonSetHash, daemonSetStatus, nextAvailabilityCheckMs, planDaemonPods, planRollingUpdate } from './daemonset-logic.js';
import { Expectations } from './expectations.js';
import { OwnedPods } from './owned-pods.js';
import { generatedPodName } from './replicaset-logic.js';
import { StatusPacer } from './status-pacer.js';
import { WorkQueue } from './work-queue.js';
import type { ReconcileResult } from './work-queue.js';

const daemonsets = RESOURCE.daemonsets;

/** DaemonSetControllerOptions tune the controller; the defaults are Kubernetes'. */
export interface DaemonSetControllerOptions {
  workers?: number;
  /** Most pods created or deleted in one reconcile (kube-controller-manager's burstReplicas). */
  burstReplicas?: number;
  expectationsTimeoutMs?: number;
  /** Least time between two status writes of one DaemonSet; 0 (default) writes every change. */
  statusIntervalMs?: number;
  now?: () => number;
}

/**
 * DaemonSetController keeps one pod of each DaemonSet on every node it belongs on (nodeSelector,
 * required node affinity, taints against the template's tolerations plus the daemon ones).
 * Keys are `namespace/name` of DaemonSets; a pod change enqueues its owner, and any node change
 * (new node, labels, taints) enqueues every DaemonSet. Pods are created without a node: each
 * names its node by a required `matchFields metadata.name` affinity and the scheduler binds it.
 *
 * One reconcile, unless earlier writes are still unseen by the informer (expectations): create
 * and delete pods per node; if that changed nothing, take one step of a RollingUpdate (delete old
 * pods within maxUnavailable; the next step creates their successors). OnDelete replaces a pod
 * only when a user deletes it. Then write status if it changed (StatusPacer). Lifecycle:
 * construct (registers informer handlers), start(signal) runs workers until it aborts.
 */
export class DaemonSetController {
  readonly queue = new WorkQueue('daemonset');
  private readonly mutex = new KeyedMutex();
  readonly expectations: Expectations;
  private readonly owned: OwnedPods;
  private readonly statusPacer: StatusPacer;
  private readonly now: () => number;

  constructor(
    private readonly store: ObjectStore,
    private readonly daemonSets: ObjectCache,
    private readonly pods: ObjectCache,
    private readonly nodes: ObjectCache,
    private readonly events: EventSink,
    private readonly logger: Logger,
    private readonly options: DaemonSetControllerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.expectations = new Expectations(options.expectationsTimeoutMs ?? 30_000, this.now);
    this.owned = new OwnedPods(store, pods, this.expectations, events);
    this.statusPacer = new StatusPacer(options.statusIntervalMs ?? 0, this.now);
    daemonSets.onChange((_type, ds) => this.queue.add(cacheKey(ds)));
    pods.onChange((type, pod, previous) => this.onPodChange(type, pod as Pod, previous as Pod | undefined));
    nodes.onChange((type, node, previous) => {
      const n = node as Node;
      const p = previous as Node | undefined;
      // Heartbeats change a node's status every few seconds; only what placement reads matters here.
      if (type === 'MODIFIED' && p && deepEqual(n.metadata.labels, p.metadata.labels) && deepEqual(n.spec.taints, p.spec.taints)) return;
      for (const ds of this.daemonSets.list()) this.queue.add(cacheKey(ds));
    });
  }

  start(signal: AbortSignal): Promise<void> {
    return runUntilAborted(this.queue, this.options.workers ?? 2, (key) => this.reconcile(key), this.logger, signal);
  }

  /** reconcile takes one step toward the desired state for `key` (one at a time per key). */
  reconcile(key: string): Promise<ReconcileResult> {
    return this.mutex.run(key, () => this.reconcileOnce(key));
  }

  private async reconcileOnce(key: string): Promise<ReconcileResult> {
    const ds = this.daemonSets.get(key) as DaemonSet | undefined;
    if (!ds) {
      this.expectations.forget(key);
      this.statusPacer.forget(key);
      return DONE;
    }
    const nowMs = this.now();
    const nodes = this.nodes.list() as Node[];
    const owned = this.owned.of(ds);
    const hash = daemonSetHash(ds);
    let failure: unknown;
    if (this.expectations.satisfied(key) && !ds.metadata.deletionTimestamp) {
      try {
        await this.manage(key, ds, nodes, owned, hash, nowMs);
      } catch (err) {
        failure = err;
      }
    }
    const statusWait = await this.updateStatus(key, ds, nodes, owned, hash, nowMs);
    if (failure !== undefined) throw failure;
    const waits = [statusWait, nextAvailabilityCheckMs(ds, owned, nowMs)].filter((w): w is number => w !== undefined);
    return waits.length === 0 ? DONE : { kind: 'requeueAfter', delayMs: Math.min(...waits) };
  }

  private async manage(key: string, ds: DaemonSet, nodes: Node[], owned: Pod[], hash: string, nowMs: number): Promise<void> {
    const burst = this.options.burstReplicas ?? 500;
    const plan = planDaemonPods(ds, nodes, owned);
    if (plan.createOn.length > 0 || plan.delete.length > 0) {
      await this.owned.delete(key, ds, plan.delete.slice(0, burst));
      const pods = plan.createOn.slice(0, burst).map((node) => daemonPodFor(ds, node, hash, generatedPodName(ds.metadata.name), newIdentity(new Date(nowMs))));
      await this.owned.create(key, ds, pods);
      return;
    }
    if ((ds.spec.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return;
    const victims = planRollingUpdate(ds, nodes, owned, hash, nowMs);
    if (victims.length > 0) this.logger.info('daemonset rolling update replaces pods', { daemonSet: key, pods: victims.map((p) => p.metadata.name) });
    await this.owned.delete(key, ds, victims.slice(0, burst));
  }

  private onPodChange(type: StoreEventType, pod: Pod, previous: Pod | undefined): void {
    const known = type === 'DELETED' ? (previous ?? pod) : pod;
    const ref = controllerRef(known);
    if (ref?.kind !== 'DaemonSet') return;
    const key = `${known.metadata.namespace ?? 'default'}/${ref.name}`;
    if (type === 'ADDED') this.expectations.observeCreate(key, pod.metadata.name);
    if (type === 'DELETED' || (pod.metadata.deletionTimestamp && !previous?.metadata.deletionTimestamp)) this.expectations.observeDelete(key, pod.metadata.name);
    this.queue.add(key);
  }

  /** updateStatus writes the status if it changed, or says how long to wait before it may (StatusPacer). */
  private async updateStatus(key: string, ds: DaemonSet, nodes: Node[], owned: Pod[], hash: string, nowMs: number): Promise<number | undefined> {
    const status = daemonSetStatus(ds, nodes, owned, hash, nowMs);
    if (deepEqual(ds.status ?? {}, status)) return undefined;
    const wait = this.statusPacer.waitMs(key);
    if (wait > 0) return wait;
    await updateFromCache(this.store, daemonsets, ds, (current: BerthObject) => {
      if (current.metadata.uid !== ds.metadata.uid || deepEqual(current.status ?? {}, status)) return undefined;
      current.status = status;
      return current;
    });
    this.statusPacer.wrote(key);
    return undefined;
  }
}
