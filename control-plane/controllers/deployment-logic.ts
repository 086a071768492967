import type { Deployment, DeploymentStatus, ReplicaSet } from '../../proto/objects/apps.js';
import type { Condition, IntOrString } from '../../proto/objects/meta.js';
import type { PodTemplateSpec } from '../../proto/objects/pod.js';
import { ownerReferenceTo } from './controller-util.js';
import { apiTimestamp } from '../../proto/time.js';
import { setCondition } from '../../proto/objects/conditions.js';
import type { NewObjectIdentity } from '../objects/identity.js';
import { defaultPodSpec } from '../objects/defaults.js';
import { canonicalJson, deepCopy, deepEqual } from '../objects/json.js';

/** The pure decisions of the Deployment controller, tested without etcd. */

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** Kubernetes' rand.SafeEncodeString alphabet: no vowels (no words), no 0/1/3 look-alikes. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** fnv32a is the 32-bit FNV-1a hash Kubernetes uses for pod-template-hash. */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * podTemplateHash names a pod template: stable across processes and restarts (FNV-1a over the
 * canonical JSON of the template, keys sorted), encoded as Kubernetes does. A collisionCount
 * (from status, bumped when a name is taken by a different template) changes the hash.
 */
export function podTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  const input = canonicalJson(template) + (collisionCount !== undefined && collisionCount > 0 ? String(collisionCount) : '');
  return [...String(fnv32a(input))].map((digit) => SAFE_ALPHABET[Number(digit) % SAFE_ALPHABET.length]).join('');
}

/**
 * desiredTemplate is the Deployment's template as ReplicaSets store it: with the API's defaults,
 * so a Deployment written without them still finds its ReplicaSet instead of making new ones.
 */
export function desiredTemplate(d: Deployment): PodTemplateSpec {
  const template = deepCopy(d.spec.template);
  defaultPodSpec(template.spec);
  return template;
}

/** templatesEqualIgnoringHash: whether a ReplicaSet runs this template (Kubernetes' EqualIgnoreHash). */
export function templatesEqualIgnoringHash(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  const strip = (t: PodTemplateSpec) => {
    const copy = deepCopy(t);
    if (copy.metadata?.labels) {
      delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
      if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
    }
    if (copy.metadata && Object.keys(copy.metadata).length === 0) delete copy.metadata;
    return copy;
  };
  return deepEqual(strip(a), strip(b));
}

export function revisionOf(rs: ReplicaSet | Deployment): number {
  const n = Number.parseInt(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}

export function maxRevision(replicaSets: readonly ReplicaSet[]): number {
  return replicaSets.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
}

/** newReplicaSet builds the ReplicaSet for the Deployment's current template. */
export function newReplicaSet(d: Deployment, template: PodTemplateSpec, hash: string, revision: number, replicas: number, identity: NewObjectIdentity): ReplicaSet {
  const labels = { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace ?? 'default',
      labels,
      annotations: { [REVISION_ANNOTATION]: String(revision) },
      ownerReferences: [ownerReferenceTo(d)],
      uid: identity.uid,
      creationTimestamp: identity.creationTimestamp,
      generation: 1,
    },
    spec: {
      replicas,
      minReadySeconds: d.spec.minReadySeconds ?? 0,
      selector: { ...deepCopy(d.spec.selector), matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } },
      template: { ...deepCopy(template), metadata: { ...deepCopy(template.metadata ?? {}), labels } },
    },
  };
}

/**
 * oldReplicaSetsToDelete keeps revisionHistoryLimit old ReplicaSets (for rollback) and returns
 * the oldest of the rest that are fully scaled down, as Kubernetes' cleanupDeployment does.
 */
export function oldReplicaSetsToDelete(old: readonly ReplicaSet[], revisionHistoryLimit: number): ReplicaSet[] {
  const alive = old.filter((rs) => !rs.metadata.deletionTimestamp);
  const excess = alive.length - revisionHistoryLimit;
  if (excess <= 0) return [];
  const byAge = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
  return byAge.filter((rs) => (rs.spec.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0).slice(0, excess);
}

/** resolveIntOrPercent turns 3 or "25%" of `total` into a count (Kubernetes' GetScaledValueFromIntOrPercent). */
export function resolveIntOrPercent(value: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return Number.parseInt(value, 10) || 0;
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** maxUnavailable as Kubernetes resolves it: never both surge and unavailability zero. */
export function maxUnavailable(d: Deployment): number {
  const desired = d.spec.replicas ?? 1;
  if (d.spec.strategy?.type === 'Recreate' || desired === 0) return 0;
  const surge = resolveIntOrPercent(d.spec.strategy?.rollingUpdate?.maxSurge ?? '25%', desired, true);
  let unavailable = resolveIntOrPercent(d.spec.strategy?.rollingUpdate?.maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return Math.min(unavailable, desired);
}

/**
 * deploymentStatus sums the ReplicaSets' counts and sets the Available and Progressing
 * conditions in Kubernetes' words. `created` says this step created the new ReplicaSet.
 */
export function deploymentStatus(d: Deployment, all: readonly ReplicaSet[], newRS: ReplicaSet | undefined, created: boolean, nowMs: number): DeploymentStatus {
  const now = apiTimestamp(nowMs);
  const desired = d.spec.replicas ?? 1;
  const sum = (f: (rs: ReplicaSet) => number | undefined) => all.reduce((n, rs) => n + (f(rs) ?? 0), 0);
  const available = sum((rs) => rs.status?.availableReplicas);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: sum((rs) => rs.status?.replicas),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum((rs) => rs.status?.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, desired - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  const minimum = available >= desired - maxUnavailable(d);
  let conditions = setCondition(
    d.status?.conditions,
    minimum
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: now }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: now },
    now,
  );
  const { condition, refresh } = progressing(d, status, newRS, created, nowMs);
  conditions = setCondition(conditions, { ...condition, lastUpdateTime: now }, now, { refreshUpdateTime: refresh });
  status.conditions = conditions;
  return status;
}

function isComplete(d: Deployment, status: DeploymentStatus, newRS: ReplicaSet | undefined): boolean {
  const desired = d.spec.replicas ?? 1;
  return newRS !== undefined && status.updatedReplicas === desired && status.replicas === desired && status.availableReplicas === desired && (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** madeProgress: more pods updated, ready or available, or fewer old ones (Kubernetes' DeploymentProgressing). */
function madeProgress(before: DeploymentStatus | undefined, after: DeploymentStatus): boolean {
  const b = before ?? {};
  const oldPods = (s: DeploymentStatus) => (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (after.updatedReplicas ?? 0) > (b.updatedReplicas ?? 0) || (after.readyReplicas ?? 0) > (b.readyReplicas ?? 0) || (after.availableReplicas ?? 0) > (b.availableReplicas ?? 0) || oldPods(after) < oldPods(b);
}

/**
 * progressing decides the Progressing condition: done (NewReplicaSetAvailable), moving
 * (ReplicaSetUpdated, re-dated at each step forward), or stuck longer than
 * progressDeadlineSeconds since the last step (ProgressDeadlineExceeded, status False).
 */
function progressing(d: Deployment, status: DeploymentStatus, newRS: ReplicaSet | undefined, created: boolean, nowMs: number): { condition: Condition; refresh: boolean } {
  const name = newRS?.metadata.name ?? '';
  if (d.spec.paused) return { condition: { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, refresh: false };
  if (created) return { condition: { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${name}"` }, refresh: true };
  if (isComplete(d, status, newRS)) return { condition: { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}" has successfully progressed.` }, refresh: false };
  const moving: Condition = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${name}" is progressing.` };
  if (madeProgress(d.status, status)) return { condition: moving, refresh: true };
  const previous = d.status?.conditions?.find((c) => c.type === 'Progressing');
  if (previous?.reason === 'ProgressDeadlineExceeded') return { condition: previous, refresh: false };
  const deadline = progressDeadlineMs(d, previous);
  if (deadline !== undefined && deadline <= nowMs) return { condition: { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${name}" has timed out progressing.` }, refresh: false };
  return { condition: moving, refresh: false };
}

function progressDeadlineMs(d: Deployment, progressingCondition: Condition | undefined): number | undefined {
  const seconds = d.spec.progressDeadlineSeconds;
  const since = Date.parse(progressingCondition?.lastUpdateTime ?? '');
  if (seconds === undefined || !Number.isFinite(since)) return undefined;
  return since + seconds * 1000;
}

/**
 * progressCheckInMs: while a rollout is moving, when the controller should look again to
 * declare it stuck (Kubernetes' requeueStuckDeployment); undefined when there is nothing to wait for.
 */
export function progressCheckInMs(d: Deployment, status: DeploymentStatus, nowMs: number): number | undefined {
  const condition = status.conditions?.find((c) => c.type === 'Progressing');
  if (d.spec.paused || condition?.status !== 'True' || condition.reason === 'NewReplicaSetAvailable') return undefined;
  const deadline = progressDeadlineMs(d, condition);
  return deadline === undefined ? undefined : Math.max(deadline - nowMs, 0) + 1000;
}
