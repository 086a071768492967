import type { Deployment, ReplicaSet } from '../../proto/objects/apps.js';
import type { PodTemplateSpec } from '../../proto/objects/pod.js';
import { ownerReferenceTo } from './controller-util.js';
import type { NewObjectIdentity } from '../objects/identity.js';
import { defaultPodSpec } from '../objects/defaults.js';
import { canonicalJson, deepCopy, deepEqual } from '../objects/json.js';

/**
 * The pure decisions of the Deployment controller about templates, revisions and annotations
 * of its ReplicaSets, tested without etcd (the rollout steps are in rolling.ts, recreate.ts and
 * proportional-scaling.ts, the status in deployment-status.ts).
 */

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** The earlier revisions a reused ReplicaSet served, oldest first, comma-separated. */
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** spec.replicas of the Deployment when it last sized this ReplicaSet. */
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
/** spec.replicas + maxSurge then: the total this ReplicaSet's size was a share of. */
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
/** Set on a ReplicaSet whose revision became fully available: a target for automatic rollback. */
export const AVAILABLE_ANNOTATION = 'berth.dev/available';
/** "true" on a Deployment: a rollout past its progress deadline is rolled back by itself. */
export const AUTO_ROLLBACK_ANNOTATION = 'berth.dev/auto-rollback';

/** Deployment annotations that are not copied onto its new ReplicaSet (Kubernetes' annotationsToSkip, plus Berth's own). */
const NOT_COPIED = new Set([
  'berth.dev/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  AVAILABLE_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

/** Longest revision-history annotation; the oldest revisions are dropped first (Kubernetes' limit). */
const REVISION_HISTORY_MAX_CHARS = 2000;

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

/** revisionOf reads the revision annotation; 0 when there is none. */
export function revisionOf(rs: ReplicaSet | Deployment): number {
  const n = Number.parseInt(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}

/** maxRevision is the highest revision among these ReplicaSets. */
export function maxRevision(replicaSets: readonly ReplicaSet[]): number {
  return replicaSets.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
}

/**
 * newReplicaSet builds the ReplicaSet for the Deployment's current template, with the
 * Deployment's annotations (kubernetes.io/change-cause among them), its revision, and the
 * desired/max-replicas annotations for the size it starts at.
 */
export function newReplicaSet(d: Deployment, template: PodTemplateSpec, hash: string, revision: number, replicas: number, maxReplicas: number, identity: NewObjectIdentity): ReplicaSet {
  const labels = { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace ?? 'default',
      labels,
      annotations: { ...copiedAnnotations(d), [REVISION_ANNOTATION]: String(revision), ...replicasAnnotations(d.spec.replicas ?? 1, maxReplicas) },
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

function copiedAnnotations(d: Deployment): Record<string, string> {
  return Object.fromEntries(Object.entries(d.metadata.annotations ?? {}).filter(([k]) => !NOT_COPIED.has(k)));
}

/** replicasAnnotations are the desired/max-replicas annotations for a Deployment of `desired` replicas. */
export function replicasAnnotations(desired: number, maxReplicas: number): Record<string, string> {
  return { [DESIRED_REPLICAS_ANNOTATION]: String(desired), [MAX_REPLICAS_ANNOTATION]: String(maxReplicas) };
}

/**
 * syncedAnnotations are the annotations an existing new ReplicaSet should carry (Kubernetes'
 * SetNewReplicaSetAnnotations): the Deployment's (so an undo's change-cause replaces the old
 * one), and `revision` when it is higher than its own. A ReplicaSet reused by a rollback keeps
 * the revisions it served before in revision-history. Undefined when nothing changes.
 */
export function syncedAnnotations(d: Deployment, rs: ReplicaSet, revision: number): Record<string, string> | undefined {
  const current = rs.metadata.annotations ?? {};
  const next = { ...current, ...copiedAnnotations(d) };
  const own = current[REVISION_ANNOTATION];
  if (revisionOf(rs) < revision) {
    next[REVISION_ANNOTATION] = String(revision);
    if (own !== undefined && own !== '') next[REVISION_HISTORY_ANNOTATION] = appendRevisionHistory(current[REVISION_HISTORY_ANNOTATION], own);
  }
  return deepEqual(next, current) ? undefined : next;
}

function appendRevisionHistory(history: string | undefined, revision: string): string {
  const revisions = (history ?? '').split(',').filter((r) => r !== '');
  revisions.push(revision);
  while (revisions.join(',').length > REVISION_HISTORY_MAX_CHARS && revisions.length > 1) revisions.shift();
  return revisions.join(',');
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
  // Only a ReplicaSet at rest goes: scaled to 0, its controller caught up, no pod left (terminating ones included).
  const atRest = (rs: ReplicaSet) =>
    (rs.spec.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0 && (rs.status?.terminatingReplicas ?? 0) === 0 && (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 0);
  return byAge.filter(atRest).slice(0, excess);
}

