import type { Logger } from 'winston';
import type { Deployment, ReplicaSet } from '../../proto/objects/apps.js';
import { matches } from '../../proto/labels.js';
import type { Selector } from '../../proto/labels.js';
import { RESOURCE } from '../../proto/resources.js';
import { AlreadyExistsError } from '../errors.js';
import type { EventSink } from '../events/event-recorder.js';
import type { ObjectStore } from '../store/object-store.js';
import { newIdentity } from '../objects/identity.js';
import { deepEqual } from '../objects/json.js';
import { cacheKey, type ObjectCache } from '../watch/object-cache.js';
import { controllerRef, ignoreNotFound, ownerReferenceTo } from './controller-util.js';
import { AVAILABLE_ANNOTATION, desiredTemplate, maxRevision, newReplicaSet, oldReplicaSetsToDelete, podTemplateHash, replicasAnnotations, syncedAnnotations, templatesEqualIgnoringHash } from './deployment-logic.js';
import { fenceposts, specReplicas } from './rolling.js';
import type { ScaleStep } from './rolling.js';

const deployments = RESOURCE.deployments;
const replicasets = RESOURCE.replicasets;

/** HashCollisionError: a ReplicaSet of another template holds the name; collisionCount was bumped. */
export class HashCollisionError extends Error {
  override name = 'HashCollisionError';
}

/**
 * DeploymentReplicaSets makes the Deployment controller's writes to ReplicaSets: claiming them,
 * creating the new one, keeping its revision and annotations, scaling (with Kubernetes' events
 * and desired/max-replicas annotations), marking a revision available, and deleting history
 * beyond revisionHistoryLimit. Every write is guarded on the ReplicaSet's uid.
 */
export class DeploymentReplicaSets {
  constructor(
    private readonly store: ObjectStore,
    private readonly replicaSets: ObjectCache,
    private readonly events: EventSink,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  /** claim returns the ReplicaSets the Deployment controls, adopting matching orphans. */
  async claim(d: Deployment, selector: Selector): Promise<ReplicaSet[]> {
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

  /** create makes the ReplicaSet of the Deployment's template at `replicas`, the next revision after `old`. */
  async create(d: Deployment, old: readonly ReplicaSet[], replicas: number): Promise<{ rs: ReplicaSet; created: boolean }> {
    const template = desiredTemplate(d);
    const hash = podTemplateHash(template, d.status?.collisionCount);
    const maxReplicas = (d.spec.replicas ?? 1) + fenceposts(d).maxSurge;
    const rs = newReplicaSet(d, template, hash, maxRevision(old) + 1, replicas, maxReplicas, newIdentity(new Date(this.now())));
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

  /**
   * syncNew keeps an existing new ReplicaSet current: the next revision when an older template
   * comes back (a rollback), the Deployment's annotations, and its minReadySeconds.
   */
  async syncNew(d: Deployment, rs: ReplicaSet, old: readonly ReplicaSet[]): Promise<ReplicaSet> {
    const revision = maxRevision(old) + 1;
    const minReady = d.spec.minReadySeconds ?? 0;
    if (!syncedAnnotations(d, rs, revision) && (rs.spec.minReadySeconds ?? 0) === minReady) return rs;
    const result = await ignoreNotFound(
      this.store.guaranteedUpdate(replicasets, rs.metadata.namespace, rs.metadata.name, (current) => {
        const cur = current as ReplicaSet;
        if (cur.metadata.uid !== rs.metadata.uid) return undefined;
        const annotations = syncedAnnotations(d, cur, revision);
        const specChanged = (cur.spec.minReadySeconds ?? 0) !== minReady;
        if (!annotations && !specChanged) return undefined;
        if (annotations) cur.metadata.annotations = annotations;
        if (specChanged) {
          cur.spec.minReadySeconds = minReady;
          cur.metadata.generation = (cur.metadata.generation ?? 0) + 1;
        }
        return cur;
      }),
    );
    return (result?.object as ReplicaSet | undefined) ?? rs;
  }

  /**
   * scale gives each ReplicaSet its new size and the desired/max-replicas annotations of the
   * Deployment's current spec, and says which ReplicaSets changed size. The returned list holds
   * the written copies, so a status computed after the step sees the new specs.
   */
  async scale(d: Deployment, steps: readonly ScaleStep[]): Promise<{ scaled: boolean; written: Map<string, ReplicaSet> }> {
    const desired = d.spec.replicas ?? 1;
    const annotations = replicasAnnotations(desired, desired + fenceposts(d).maxSurge);
    const written = new Map<string, ReplicaSet>();
    let scaled = false;
    for (const { rs, replicas } of steps) {
      const stale = Object.entries(annotations).some(([k, v]) => rs.metadata.annotations?.[k] !== v);
      if (specReplicas(rs) === replicas && !stale) continue;
      const result = await ignoreNotFound(
        this.store.guaranteedUpdate(replicasets, rs.metadata.namespace, rs.metadata.name, (current) => {
          const cur = current as ReplicaSet;
          if (cur.metadata.uid !== rs.metadata.uid) return undefined;
          const sizeChanges = specReplicas(cur) !== replicas;
          const next = { ...cur.metadata.annotations, ...annotations };
          if (!sizeChanges && deepEqual(next, cur.metadata.annotations ?? {})) return undefined;
          cur.metadata.annotations = next;
          if (sizeChanges) {
            cur.spec.replicas = replicas;
            // The controller writes the spec without the API, so it bumps generation as the API would.
            cur.metadata.generation = (cur.metadata.generation ?? 0) + 1;
          }
          return cur;
        }),
      );
      if (!result?.changed) continue;
      written.set(rs.metadata.uid ?? '', result.object as ReplicaSet);
      if (specReplicas(rs) === replicas) continue;
      scaled = true;
      const direction = replicas > specReplicas(rs) ? 'up' : 'down';
      this.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${direction} replica set ${rs.metadata.name} to ${replicas}`);
    }
    return { scaled, written };
  }

  /** markAvailable marks the ReplicaSet whose revision became fully available: a target for automatic rollback. */
  async markAvailable(rs: ReplicaSet): Promise<void> {
    if (rs.metadata.annotations?.[AVAILABLE_ANNOTATION] === 'true') return;
    await ignoreNotFound(
      this.store.guaranteedUpdate(replicasets, rs.metadata.namespace, rs.metadata.name, (current) => {
        if (current.metadata.uid !== rs.metadata.uid || current.metadata.annotations?.[AVAILABLE_ANNOTATION] === 'true') return undefined;
        current.metadata.annotations = { ...current.metadata.annotations, [AVAILABLE_ANNOTATION]: 'true' };
        return current;
      }),
    );
  }

  /** cleanup deletes old ReplicaSets at rest beyond revisionHistoryLimit, oldest revision first. */
  async cleanup(d: Deployment, old: readonly ReplicaSet[]): Promise<void> {
    for (const rs of oldReplicaSetsToDelete(old, d.spec.revisionHistoryLimit ?? 10)) {
      await ignoreNotFound(this.store.delete(replicasets, rs.metadata.namespace, rs.metadata.name, rs.metadata.resourceVersion));
      this.logger.info('deleted old replica set', { deployment: cacheKey(d), replicaSet: rs.metadata.name });
    }
  }
}
