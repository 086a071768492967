import type { Deployment, ReplicaSet } from '../../proto/objects/apps.js';
import { DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION } from './deployment-logic.js';
import { fenceposts, podsHeld, specReplicas, waitsForTermination } from './rolling.js';
import type { ScaleStep } from './rolling.js';

/**
 * Scaling a Deployment whose ReplicaSets are not all at rest (Kubernetes' sync.go scale): a
 * change of spec.replicas in the middle of a rollout, or while paused, is spread over the
 * ReplicaSets in proportion to their sizes, so neither revision loses its share.
 */

function annotationNumber(rs: ReplicaSet, key: string): number | undefined {
  const n = Number.parseInt(rs.metadata.annotations?.[key] ?? '', 10);
  return Number.isFinite(n) ? n : undefined;
}

/** desiredReplicasAnnotation is the spec.replicas a ReplicaSet was last sized for, if recorded. */
export function desiredReplicasAnnotation(rs: ReplicaSet): number | undefined {
  return annotationNumber(rs, DESIRED_REPLICAS_ANNOTATION);
}

/**
 * isScalingEvent: some running ReplicaSet was sized for another spec.replicas (its
 * desired-replicas annotation), so spec.replicas changed since the last step.
 */
export function isScalingEvent(d: Deployment, all: readonly ReplicaSet[]): boolean {
  return all.some((rs) => {
    const desired = desiredReplicasAnnotation(rs);
    return specReplicas(rs) > 0 && desired !== undefined && desired !== (d.spec.replicas ?? 1);
  });
}

/** isSaturated: the new ReplicaSet holds every replica, was sized for them, and all are available. */
export function isSaturated(d: Deployment, newRS: ReplicaSet | undefined): boolean {
  if (!newRS) return false;
  const desired = d.spec.replicas ?? 1;
  return specReplicas(newRS) === desired && desiredReplicasAnnotation(newRS) === desired && (newRS.status?.availableReplicas ?? 0) === desired;
}

const created = (rs: ReplicaSet): string => rs.metadata.creationTimestamp ?? '';

/**
 * activeOrLatest is the one ReplicaSet that runs pods, or the newest when none does; undefined
 * when several do (Kubernetes' FindActiveOrLatest).
 */
function activeOrLatest(newRS: ReplicaSet | undefined, old: readonly ReplicaSet[]): ReplicaSet | undefined {
  const all = [...old, ...(newRS ? [newRS] : [])];
  const active = all.filter((rs) => specReplicas(rs) > 0);
  if (active.length === 1) return active[0];
  if (active.length > 1) return undefined;
  return newRS ?? [...old].sort((a, b) => created(b).localeCompare(created(a)))[0];
}

/**
 * roomToGrow caps a scale-up under TerminationComplete: terminating pods still hold their
 * place, so scaling up waits for them (Kubernetes documents this as partial scaling).
 */
function roomToGrow(d: Deployment, all: readonly ReplicaSet[], allowed: number): number {
  if (!waitsForTermination(d)) return Infinity;
  return Math.max(0, allowed - all.reduce((n, rs) => n + podsHeld(rs, d), 0));
}

/**
 * fraction is how many replicas `rs` gains (or loses, negative) if it keeps its share of the
 * Deployment: its size times the new allowed total over the total it was sized for (its
 * max-replicas annotation, or the observed replicas when it has none).
 */
function fraction(d: Deployment, rs: ReplicaSet): number {
  const desired = d.spec.replicas ?? 1;
  if (desired === 0) return -specReplicas(rs);
  const allowed = desired + fenceposts(d).maxSurge;
  const sizedFor = annotationNumber(rs, MAX_REPLICAS_ANNOTATION) ?? d.status?.replicas ?? 0;
  if (sizedFor <= 0) return 0;
  return Math.round((specReplicas(rs) * allowed) / sizedFor) - specReplicas(rs);
}

/**
 * proportionalScale decides every ReplicaSet's size after spec.replicas changed (or while
 * paused). One active ReplicaSet simply takes spec.replicas; a saturated new one lets the old
 * ones go; otherwise, for a rolling update, the replicas to add or remove are shared in
 * proportion, largest ReplicaSet first (newest first when adding, oldest first when removing),
 * and what rounding leaves over goes to the largest. Steps may keep a size: the controller
 * still refreshes their desired/max-replicas annotations. Called while paused without a change
 * of spec.replicas, it leaves several running ReplicaSets as they are.
 */
export function proportionalScale(d: Deployment, newRS: ReplicaSet | undefined, old: readonly ReplicaSet[]): ScaleStep[] {
  const desired = d.spec.replicas ?? 1;
  const all = [...old, ...(newRS ? [newRS] : [])];
  const single = activeOrLatest(newRS, old);
  if (single) {
    if (specReplicas(single) >= desired) return [{ rs: single, replicas: desired }];
    const allowed = desired + fenceposts(d).maxSurge;
    return [{ rs: single, replicas: Math.min(desired, specReplicas(single) + roomToGrow(d, all, allowed)) }];
  }
  if (isSaturated(d, newRS)) return old.filter((rs) => specReplicas(rs) > 0).map((rs) => ({ rs, replicas: 0 }));
  // Without a change of spec.replicas (a paused rollout), Kubernetes would top the ReplicaSets up
  // to the surge; Berth leaves them, so that a pause freezes the rollout where it is.
  if (d.spec.strategy?.type === 'Recreate' || !isScalingEvent(d, all)) return [];
  const active = all.filter((rs) => specReplicas(rs) > 0);
  const allowed = desired > 0 ? desired + fenceposts(d).maxSurge : 0;
  let toAdd = allowed - active.reduce((n, rs) => n + specReplicas(rs), 0);
  if (toAdd > 0) toAdd = Math.min(toAdd, roomToGrow(d, all, allowed));
  const tieNewerFirst = toAdd > 0 ? -1 : 1;
  active.sort((a, b) => specReplicas(b) - specReplicas(a) || tieNewerFirst * created(a).localeCompare(created(b)) || a.metadata.name.localeCompare(b.metadata.name));
  let added = 0;
  const sizes = active.map((rs) => {
    if (toAdd === 0 || toAdd === added) return specReplicas(rs);
    const share = fraction(d, rs);
    const allowedNow = toAdd - added;
    const proportion = toAdd > 0 ? Math.min(share, allowedNow) : Math.max(share, allowedNow);
    added += proportion;
    return specReplicas(rs) + proportion;
  });
  if (sizes.length > 0 && toAdd !== 0) sizes[0] = Math.max(0, (sizes[0] ?? 0) + toAdd - added);
  return active.map((rs, i) => ({ rs, replicas: sizes[i] ?? specReplicas(rs) }));
}
