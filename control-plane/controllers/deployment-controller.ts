import type { Logger } from 'winston';
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../proto/objects/apps.js';
import { matches, selectorFromLabelSelector } from '../../proto/labels.js';
import { setCondition } from '../../proto/objects/conditions.js';
import { RESOURCE } from '../../proto/resources.js';
import { apiTimestamp } from '../../proto/time.js';
import type { EventSink } from '../events/event-recorder.js';
import type { ObjectStore } from '../store/object-store.js';
import { DONE, KeyedMutex, controllerRef, runUntilAborted, updateFromCache } from './controller-util.js';
import { CHANGE_CAUSE_ANNOTATION, REVISION_ANNOTATION, desiredTemplate, revisionOf, templatesEqualIgnoringHash } from './deployment-logic.js';
import { DeploymentReplicaSets } from './deployment-replicasets.js';
import { deploymentStatus, isComplete, progressCheckInMs } from './deployment-status.js';
import { isScalingEvent, proportionalScale } from './proportional-scaling.js';
import { recreateStep } from './recreate.js';
import { autoRollback, rolledBack } from './rollback.js';
import type { AutoRollback } from './rollback.js';
import { newReplicaSetReplicas, rollingStep } from './rolling.js';
import type { ScaleStep } from './rolling.js';
import { StatusPacer } from './status-pacer.js';
import { WorkQueue } from './work-queue.js';
import type { ReconcileResult } from './work-queue.js';
import { deepEqual } from '../objects/json.js';
import { cacheKey, type ObjectCache } from '../watch/object-cache.js';

const deployments = RESOURCE.deployments;

/** DeploymentControllerOptions tune the controller. */
export interface DeploymentControllerOptions {
  workers?: number;
  /** Least time between two status writes of one Deployment (StatusPacer); 0 (default) writes every change. */
  statusIntervalMs?: number;
  now?: () => number;
}

/** RolloutState is what one reconcile works on: the ReplicaSets of the current template and of the older ones. */
interface RolloutState {
  newRS: ReplicaSet | undefined;
  old: ReplicaSet[];
  created: boolean;
}

/**
 * DeploymentController owns one ReplicaSet per pod template, named `<deployment>-<pod-template-hash>`.
 * Keys are `namespace/name` of Deployments; ReplicaSet changes (their statuses too) enqueue their owner.
 *
 * One reconcile (Kubernetes' syncDeployment): claim ReplicaSets, keep the new one's revision and
 * annotations, then one step of whichever applies: proportional scaling when paused or when
 * spec.replicas changed (sync.go), Recreate (old ones to 0, wait until their pods are gone, then
 * the new one up), or RollingUpdate (the new one up within replicas + maxSurge, else old ones
 * down while replicas - maxUnavailable stay available). Old ReplicaSets beyond
 * revisionHistoryLimit go once the rollout is complete. Last, the status; a rollout past its
 * deadline with berth.dev/auto-rollback is rolled back instead, in the same write.
 * Lifecycle: construct, then start(signal) runs workers until the signal aborts; one start per instance.
 */
export class DeploymentController {
  readonly queue = new WorkQueue('deployment');
  private readonly mutex = new KeyedMutex();
  private readonly statusPacer: StatusPacer;
  private readonly now: () => number;
  private readonly sets: DeploymentReplicaSets;

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
    this.sets = new DeploymentReplicaSets(store, replicaSets, events, logger, this.now);
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
    const owned = await this.sets.claim(d, selector);
    const template = desiredTemplate(d);
    // Two ReplicaSets of one template (a re-created one, say): the oldest is the new one, as in Kubernetes.
    const byAge = [...owned].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
    const found = byAge.find((rs) => templatesEqualIgnoringHash(rs.spec.template, template));
    const old = owned.filter((rs) => rs !== found);
    const state: RolloutState = { newRS: found ? await this.sets.syncNew(d, found, old) : undefined, old, created: false };
    if (d.spec.paused || isScalingEvent(d, this.all(state))) {
      await this.scale(d, state, proportionalScale(d, state.newRS, state.old));
      await this.sets.cleanup(d, state.old);
    } else if (d.spec.strategy?.type === 'Recreate') {
      await this.rolloutRecreate(d, state);
    } else {
      await this.rolloutRolling(d, state);
    }
    const status = deploymentStatus(d, this.all(state), state.newRS, state.created, nowMs);
    const rollback = autoRollback(d, status, state.newRS, state.old);
    if (rollback && state.newRS) {
      await this.rollBack(d, state.newRS, status, rollback, nowMs);
      return DONE;
    }
    if (state.newRS && isComplete(d, status, state.newRS)) await this.sets.markAvailable(state.newRS);
    const waitMs = await this.updateDeployment(key, d, state.newRS, status);
    const waits = [waitMs, progressCheckInMs(d, status, nowMs)].filter((w): w is number => w !== undefined);
    return waits.length === 0 ? DONE : { kind: 'requeueAfter', delayMs: Math.min(...waits) };
  }

  private all(state: RolloutState): ReplicaSet[] {
    return [...state.old, ...(state.newRS ? [state.newRS] : [])];
  }

  /** scale applies a step's sizes and puts the written copies in `state`; it says whether a size changed. */
  private async scale(d: Deployment, state: RolloutState, steps: readonly ScaleStep[]): Promise<boolean> {
    const { scaled, written } = await this.sets.scale(d, steps);
    const fresh = (rs: ReplicaSet) => written.get(rs.metadata.uid ?? '') ?? rs;
    state.old = state.old.map(fresh);
    if (state.newRS) state.newRS = fresh(state.newRS);
    return scaled;
  }

  /** rolloutRolling: scale the new ReplicaSet up if the surge allows, else old ones down if availability allows (rolling.go). */
  private async rolloutRolling(d: Deployment, state: RolloutState): Promise<void> {
    if (!state.newRS) {
      const result = await this.sets.create(d, state.old, newReplicaSetReplicas(d, state.old, undefined));
      state.newRS = result.rs;
      state.created = result.created;
    }
    if (await this.scale(d, state, rollingStep(d, state.newRS, state.old))) return;
    if (d.status && isComplete(d, d.status, state.newRS)) await this.sets.cleanup(d, state.old);
  }

  /** rolloutRecreate: old ReplicaSets to 0, then nothing until their pods are gone, then the new one up (recreate.go). */
  private async rolloutRecreate(d: Deployment, state: RolloutState): Promise<void> {
    const step = recreateStep(d, state.old);
    if (step.kind === 'scaleDownOld') {
      await this.scale(d, state, step.steps);
      return;
    }
    if (step.kind === 'waitForOldPods') return;
    if (!state.newRS) {
      const result = await this.sets.create(d, state.old, step.replicas);
      state.newRS = result.rs;
      state.created = result.created;
    } else {
      await this.scale(d, state, [{ rs: state.newRS, replicas: step.replicas }]);
    }
    if (d.status && isComplete(d, d.status, state.newRS)) await this.sets.cleanup(d, state.old);
  }

  /**
   * rollBack puts the template of the revision rolled back to into the Deployment, with the
   * RolledBack condition, in one write guarded on the failed template still being the
   * Deployment's (a user's newer change wins). Generation moves as the API would move it.
   */
  private async rollBack(d: Deployment, failed: ReplicaSet, status: DeploymentStatus, rollback: AutoRollback, nowMs: number): Promise<void> {
    const now = apiTimestamp(nowMs);
    const result = await this.store.guaranteedUpdate(deployments, d.metadata.namespace, d.metadata.name, (current) => {
      const cur = current as Deployment;
      if (cur.metadata.uid !== d.metadata.uid || !templatesEqualIgnoringHash(desiredTemplate(cur), failed.spec.template)) return undefined;
      cur.spec.template = rollback.template;
      cur.metadata.generation = (cur.metadata.generation ?? 0) + 1;
      // The change-cause of the revision that comes back, as kubectl's undo copies it.
      const cause = rollback.target.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION];
      if (cause !== undefined) cur.metadata.annotations = { ...cur.metadata.annotations, [CHANGE_CAUSE_ANNOTATION]: cause };
      const next: DeploymentStatus = { ...status, conditions: setCondition(status.conditions, { ...rolledBack(rollback), lastUpdateTime: now }, now) };
      if (cur.status?.collisionCount !== undefined) next.collisionCount = cur.status.collisionCount;
      cur.status = next;
      return cur;
    });
    if (!result.changed) return;
    this.statusPacer.wrote(cacheKey(d));
    const message = rollback.message.charAt(0).toUpperCase() + rollback.message.slice(1);
    this.events.record(d, 'Warning', 'RolledBack', message);
    this.logger.warn('rolled back deployment', { deployment: cacheKey(d), from: rollback.fromRevision, to: rollback.toRevision });
  }

  private selectingDeployments(rs: ReplicaSet): Deployment[] {
    return (this.deployments.list((o) => o.metadata.namespace === rs.metadata.namespace) as Deployment[]).filter((d) => {
      const selector = selectorFromLabelSelector(d.spec.selector);
      return selector.length > 0 && matches(selector, rs.metadata.labels);
    });
  }

  /** updateDeployment writes status and revision if they changed, or says how long to wait before it may (StatusPacer). */
  private async updateDeployment(key: string, d: Deployment, newRS: ReplicaSet | undefined, status: DeploymentStatus): Promise<number | undefined> {
    const revision = newRS ? String(revisionOf(newRS)) : undefined;
    const revisionChanged = revision !== undefined && d.metadata.annotations?.[REVISION_ANNOTATION] !== revision;
    if (!revisionChanged && deepEqual(d.status ?? {}, status)) return undefined;
    const waitMs = this.statusPacer.waitMs(key);
    if (waitMs > 0) return waitMs;
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
    return undefined;
  }
}
