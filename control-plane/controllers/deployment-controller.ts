import type { Logger } from 'winston';
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../proto/objects/apps.js';
import { matches, selectorFromLabelSelector } from '../../proto/labels.js';
import type { Selector } from '../../proto/labels.js';
import { RESOURCE } from '../../proto/resources.js';
import { AlreadyExistsError } from '../errors.js';
import type { EventSink } from '../events/event-recorder.js';
import type { ObjectStore } from '../store/object-store.js';
import { DONE, KeyedMutex, controllerRef, ignoreNotFound, ownerReferenceTo, runUntilAborted, updateFromCache } from './controller-util.js';
import {
  REVISION_ANNOTATION,
  deploymentStatus,
  desiredTemplate,
  maxRevision,
  newReplicaSet,
  oldReplicaSetsToDelete,
  podTemplateHash,
  progressCheckInMs,
  revisionOf,
  templatesEqualIgnoringHash,
} from './deployment-logic.js';
import { StatusPacer } from './status-pacer.js';
import { WorkQueue } from './work-queue.js';
import type { ReconcileResult } from './work-queue.js';
import { newIdentity } from '../objects/identity.js';
import { deepEqual } from '../objects/json.js';
import { cacheKey, type ObjectCache } from '../watch/object-cache.js';

const deployments = RESOURCE.deployments;
const replicasets = RESOURCE.replicasets;

/** DeploymentControllerOptions tune the controller. */
export interface DeploymentControllerOptions {
  workers?: number;
  /** Least time between two status writes of one Deployment (StatusPacer); 0 (default) writes every change. */
  statusIntervalMs?: number;
  now?: () => number;
}

/** HashCollisionError: a ReplicaSet of another template holds the name; collisionCount was bumped. */
export class HashCollisionError extends Error {
  override name = 'HashCollisionError';
}

/**
 * DeploymentController owns one ReplicaSet per pod template, named `<deployment>-<pod-template-hash>`.
 * Keys are `namespace/name` of Deployments; ReplicaSet changes enqueue their owner.
 *
 * One reconcile: claim ReplicaSets (adopt matching orphans), create the ReplicaSet of the current
 * template if none runs it, scale it to spec.replicas and every older one to 0, delete old ones
 * beyond revisionHistoryLimit, then write the revision annotation and status if they changed.
 * Scaling the new ReplicaSet up and the old ones down at once is a placeholder: the rolling
 * update bounded by maxSurge/maxUnavailable comes with the rollout issue.
 * Lifecycle: construct, then start(signal) runs workers until the signal aborts; one start per instance.
 */
export class DeploymentController {
  readonly queue = new WorkQueue('deployment');
  private readonly mutex = new KeyedMutex();
  private readonly statusPacer: StatusPacer;
  private readonly now: () => number;

  constructor(
    private readonly store: ObjectStore,
    private readonly deployments: ObjectCache,
    private readonly replicaSets: ObjectCache,
    private readonly events: EventSink,
    private readonly logger: Logger,
    private readonly options: DeploymentControllerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.statusPacer = new StatusPacer(options.statusIntervalMs ?? 0, this.now);
    deployments.onChange((_type, d) => this.queue.add(cacheKey(d)));
    replicaSets.onChange((type, rs, previous) => {
      const known = type === 'DELETED' ? (previous ?? rs) : rs;
      const ref = controllerRef(known);
      if (ref?.kind === 'Deployment') this.queue.add(`${known.metadata.namespace ?? 'default'}/${ref.name}`);
      else if (!ref && type !== 'DELETED') for (const d of this.selectingDeployments(rs as ReplicaSet)) this.queue.add(cacheKey(d));
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
    const d = this.deployments.get(key) as Deployment | undefined;
    if (!d) this.statusPacer.forget(key);
    if (!d || d.metadata.deletionTimestamp) return DONE;
    const selector = selectorFromLabelSelector(d.spec.selector);
    // Kubernetes refuses to act on an empty selector: it would claim every ReplicaSet in the namespace.
    if (selector.length === 0) return DONE;
    const nowMs = this.now();
    const owned = await this.claimReplicaSets(d, selector);
    const template = desiredTemplate(d);
    let newRS = owned.find((rs) => templatesEqualIgnoringHash(rs.spec.template, template));
    const old = owned.filter((rs) => rs !== newRS);
    let created = false;
    if (!d.spec.paused) {
      if (!newRS) {
        const result = await this.createNewReplicaSet(d, maxRevision(old) + 1);
        newRS = result.rs;
        created = result.created;
      } else if (revisionOf(newRS) <= maxRevision(old)) {
        // A rollback to an older template: its ReplicaSet becomes the newest revision again.
        newRS = await this.setRevision(newRS, maxRevision(old) + 1);
      }
      await this.scale(d, newRS, d.spec.replicas ?? 1);
      for (const rs of old) await this.scale(d, rs, 0);
      for (const rs of oldReplicaSetsToDelete(old, d.spec.revisionHistoryLimit ?? 10)) {
        await ignoreNotFound(this.store.delete(replicasets, rs.metadata.namespace, rs.metadata.name, rs.metadata.resourceVersion));
        this.logger.info('deleted old replica set', { deployment: key, replicaSet: rs.metadata.name });
      }
    }
    const { status, waitMs } = await this.updateDeployment(key, d, [...old, ...(newRS ? [newRS] : [])], newRS, created, nowMs);
    const waits = [waitMs, progressCheckInMs(d, status, nowMs)].filter((w): w is number => w !== undefined);
    return waits.length === 0 ? DONE : { kind: 'requeueAfter', delayMs: Math.min(...waits) };
  }

  private selectingDeployments(rs: ReplicaSet): Deployment[] {
    return (this.deployments.list((o) => o.metadata.namespace === rs.metadata.namespace) as Deployment[]).filter((d) => {
      const selector = selectorFromLabelSelector(d.spec.selector);
      return selector.length > 0 && matches(selector, rs.metadata.labels);
    });
  }

  private async claimReplicaSets(d: Deployment, selector: Selector): Promise<ReplicaSet[]> {
    const owned: ReplicaSet[] = [];
    let ownerChecked = false;
    for (const rs of this.replicaSets.list((o) => o.metadata.namespace === d.metadata.namespace) as ReplicaSet[]) {
      const ref = controllerRef(rs);
      if (ref) {
        if (ref.uid === d.metadata.uid) owned.push(rs);
        continue;
      }
      if (!matches(selector, rs.metadata.labels)) continue;
      if (!ownerChecked) {
        const live = await this.store.tryGet(deployments, d.metadata.namespace, d.metadata.name);
        if (live?.metadata.uid !== d.metadata.uid) return owned;
        ownerChecked = true;
      }
      const result = await ignoreNotFound(
        this.store.guaranteedUpdate(replicasets, rs.metadata.namespace, rs.metadata.name, (current) => {
          if (controllerRef(current) || !matches(selector, current.metadata.labels)) return undefined;
          current.metadata.ownerReferences = [...(current.metadata.ownerReferences ?? []), ownerReferenceTo(d)];
          return current;
        }),
      );
      if (result && controllerRef(result.object)?.uid === d.metadata.uid) owned.push(result.object as ReplicaSet);
    }
    return owned;
  }

  private async createNewReplicaSet(d: Deployment, revision: number): Promise<{ rs: ReplicaSet; created: boolean }> {
    const template = desiredTemplate(d);
    const hash = podTemplateHash(template, d.status?.collisionCount);
    const replicas = d.spec.replicas ?? 1;
    const rs = newReplicaSet(d, template, hash, revision, replicas, newIdentity(new Date(this.now())));
    try {
      const stored = (await this.store.create(replicasets, rs)) as ReplicaSet;
      this.logger.info('created replica set', { deployment: cacheKey(d), replicaSet: rs.metadata.name });
      if (replicas > 0) this.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rs.metadata.name} to ${replicas}`);
      return { rs: stored, created: true };
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
    // The name is taken: our own earlier write the informer has not shown yet, or a hash collision.
    const existing = (await this.store.get(replicasets, rs.metadata.namespace, rs.metadata.name)) as ReplicaSet;
    if (controllerRef(existing)?.uid === d.metadata.uid && templatesEqualIgnoringHash(existing.spec.template, template)) return { rs: existing, created: false };
    await this.store.guaranteedUpdate(deployments, d.metadata.namespace, d.metadata.name, (current) => {
      const cur = current as Deployment;
      if (cur.metadata.uid !== d.metadata.uid) return undefined;
      cur.status = { ...cur.status, collisionCount: (cur.status?.collisionCount ?? 0) + 1 };
      return cur;
    });
    throw new HashCollisionError(`replica set name ${rs.metadata.name} is taken by another template; collisionCount raised, retrying`);
  }

  private async setRevision(rs: ReplicaSet, revision: number): Promise<ReplicaSet> {
    const result = await this.store.guaranteedUpdate(replicasets, rs.metadata.namespace, rs.metadata.name, (current) => {
      if (current.metadata.uid !== rs.metadata.uid || revisionOf(current as ReplicaSet) === revision) return undefined;
      current.metadata.annotations = { ...current.metadata.annotations, [REVISION_ANNOTATION]: String(revision) };
      return current;
    });
    return result.object as ReplicaSet;
  }

  private async scale(d: Deployment, rs: ReplicaSet, replicas: number): Promise<void> {
    if ((rs.spec.replicas ?? 1) === replicas) return;
    const result = await ignoreNotFound(
      this.store.guaranteedUpdate(replicasets, rs.metadata.namespace, rs.metadata.name, (current) => {
        const cur = current as ReplicaSet;
        if (cur.metadata.uid !== rs.metadata.uid || cur.spec.replicas === replicas) return undefined;
        cur.spec.replicas = replicas;
        // The controller writes the spec without the API, so it bumps generation as the API would.
        cur.metadata.generation = (cur.metadata.generation ?? 0) + 1;
        return cur;
      }),
    );
    if (!result?.changed) return;
    const direction = replicas > (rs.spec.replicas ?? 1) ? 'up' : 'down';
    this.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${direction} replica set ${rs.metadata.name} to ${replicas}`);
  }

  /** updateDeployment writes status and revision if they changed, or says how long to wait before it may (StatusPacer). */
  private async updateDeployment(key: string, d: Deployment, all: ReplicaSet[], newRS: ReplicaSet | undefined, created: boolean, nowMs: number): Promise<{ status: DeploymentStatus; waitMs?: number }> {
    const status = deploymentStatus(d, all, newRS, created, nowMs);
    const revision = newRS ? String(revisionOf(newRS)) : undefined;
    const revisionChanged = revision !== undefined && d.metadata.annotations?.[REVISION_ANNOTATION] !== revision;
    if (!revisionChanged && deepEqual(d.status ?? {}, status)) return { status };
    const waitMs = this.statusPacer.waitMs(key);
    if (waitMs > 0) return { status, waitMs };
    await updateFromCache(this.store, deployments, d, (current) => {
      const cur = current as Deployment;
      if (cur.metadata.uid !== d.metadata.uid) return undefined;
      const next = { ...status };
      if (cur.status?.collisionCount !== undefined) next.collisionCount = cur.status.collisionCount;
      const sameRevision = revision === undefined || cur.metadata.annotations?.[REVISION_ANNOTATION] === revision;
      if (sameRevision && deepEqual(cur.status ?? {}, next)) return undefined;
      if (!sameRevision) cur.metadata.annotations = { ...cur.metadata.annotations, [REVISION_ANNOTATION]: revision as string };
      cur.status = next;
      return cur;
    });
    this.statusPacer.wrote(key);
    return { status };
  }
}
