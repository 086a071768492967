import type { Deployment, ReplicaSet } from '../../proto/objects/apps.js';
import type { IntOrString } from '../../proto/objects/meta.js';

/**
 * The arithmetic of a rolling update (Kubernetes' rolling.go and the fenceposts of
 * deployment_util.go), pure so that a whole rollout can be walked in a unit test.
 */

/** ScaleStep is one decision of a rollout step: give this ReplicaSet `replicas` replicas. */
export interface ScaleStep {
  rs: ReplicaSet;
  replicas: number;
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

/** Fenceposts are a rolling update's two bounds resolved to counts for the current spec.replicas. */
export interface Fenceposts {
  maxSurge: number;
  maxUnavailable: number;
}

/**
 * fenceposts resolves maxSurge (rounded up) and maxUnavailable (rounded down) against
 * spec.replicas. Both resolving to 0 would stall the rollout, so unavailability becomes 1
 * (validation refuses both being written as 0). Recreate has neither.
 */
export function fenceposts(d: Deployment): Fenceposts {
  if (d.spec.strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: 0 };
  const desired = d.spec.replicas ?? 1;
  const rolling = d.spec.strategy?.rollingUpdate;
  const maxSurge = resolveIntOrPercent(rolling?.maxSurge ?? '25%', desired, true);
  let maxUnavailable = resolveIntOrPercent(rolling?.maxUnavailable ?? '25%', desired, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: desired === 0 ? 0 : Math.min(maxUnavailable, desired) };
}

/** maxUnavailable as Kubernetes resolves it for the Available condition and the scale-down bound. */
export function maxUnavailable(d: Deployment): number {
  return fenceposts(d).maxUnavailable;
}

/** waitsForTermination: terminating pods still count toward the surge (podReplacementPolicy TerminationComplete, the default). */
export function waitsForTermination(d: Deployment): boolean {
  return d.spec.podReplacementPolicy !== 'TerminationStarted';
}

/** specReplicas is a ReplicaSet's spec.replicas with the API's default of 1. */
export function specReplicas(rs: ReplicaSet): number {
  return rs.spec.replicas ?? 1;
}

/**
 * podsHeld is how many pods a ReplicaSet may be running now. Under TerminationStarted it is its
 * spec (Kubernetes' historical count). Under TerminationComplete its terminating pods count too,
 * and a scale-down its controller has not reported yet still holds its pods, so the surge is
 * never overrun while ReplicaSet statuses lag behind their specs.
 */
export function podsHeld(rs: ReplicaSet, d: Deployment): number {
  if (!waitsForTermination(d)) return specReplicas(rs);
  const running = (rs.status?.replicas ?? 0) + (rs.status?.terminatingReplicas ?? 0);
  return Math.max(specReplicas(rs), running);
}

/**
 * availableHeld is how many of a ReplicaSet's available pods survive its current spec: a
 * ReplicaSet above its spec deletes pods (unavailable ones first), so a status written before a
 * scale-down is not counted beyond the spec.
 */
export function availableHeld(rs: ReplicaSet): number {
  return Math.min(rs.status?.availableReplicas ?? 0, specReplicas(rs));
}

const sum = (sets: readonly ReplicaSet[], f: (rs: ReplicaSet) => number): number => sets.reduce((n, rs) => n + f(rs), 0);

/**
 * newReplicaSetReplicas is the size the new ReplicaSet may grow to in this step (Kubernetes'
 * NewRSNewReplicas): up to spec.replicas, while every pod of the Deployment, terminating ones
 * included under TerminationComplete, stays within spec.replicas + maxSurge. `all` includes
 * `newRS`; without one (not created yet) the answer is the size to create it at.
 */
export function newReplicaSetReplicas(d: Deployment, all: readonly ReplicaSet[], newRS: ReplicaSet | undefined): number {
  const desired = d.spec.replicas ?? 1;
  const current = newRS ? specReplicas(newRS) : 0;
  if (current >= desired) return desired;
  if (d.spec.strategy?.type === 'Recreate') return desired;
  const room = desired + fenceposts(d).maxSurge - sum(all, (rs) => podsHeld(rs, d));
  if (room <= 0) return current;
  return current + Math.min(room, desired - current);
}

const byCreation = (a: ReplicaSet, b: ReplicaSet): number =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name);

/**
 * oldReplicaSetsScaleDown decides how far the old ReplicaSets shrink in this step (Kubernetes'
 * reconcileOldReplicaSets). The budget is every replica above the minimum available
 * (spec.replicas - maxUnavailable), less the new ReplicaSet's replicas that are not available
 * yet: scaling down for them would lose availability if they never come up. Unhealthy old
 * replicas go first, oldest ReplicaSet first, since removing them costs no availability; then
 * available ones, only as far as the available count stays at the minimum.
 */
export function oldReplicaSetsScaleDown(d: Deployment, newRS: ReplicaSet, old: readonly ReplicaSet[]): ScaleStep[] {
  const active = old.filter((rs) => specReplicas(rs) > 0).sort(byCreation);
  if (active.length === 0) return [];
  const minAvailable = (d.spec.replicas ?? 1) - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - availableHeld(newRS);
  const budget = sum(active, specReplicas) + specReplicas(newRS) - minAvailable - newUnavailable;
  if (budget <= 0) return [];
  const size = new Map(active.map((rs) => [rs, specReplicas(rs)]));
  let cleaned = 0;
  for (const rs of active) {
    if (cleaned >= budget) break;
    const unhealthy = specReplicas(rs) - availableHeld(rs);
    const take = Math.min(budget - cleaned, unhealthy);
    if (take <= 0) continue;
    size.set(rs, specReplicas(rs) - take);
    cleaned += take;
  }
  // Unhealthy replicas are gone now: each old ReplicaSet's available pods are what it keeps.
  const available = availableHeld(newRS) + sum(active, (rs) => Math.min(availableHeld(rs), size.get(rs) ?? 0));
  let spare = available - minAvailable;
  for (const rs of active) {
    if (spare <= 0) break;
    const current = size.get(rs) ?? 0;
    const take = Math.min(current, spare);
    if (take <= 0) continue;
    size.set(rs, current - take);
    spare -= take;
  }
  return active.filter((rs) => size.get(rs) !== specReplicas(rs)).map((rs) => ({ rs, replicas: size.get(rs) ?? 0 }));
}

/**
 * rollingStep is one step of a rolling update (Kubernetes' rolloutRolling): grow the new
 * ReplicaSet if the surge allows, else shrink old ones if availability allows; empty when
 * neither may move until pods become available or finish terminating.
 */
export function rollingStep(d: Deployment, newRS: ReplicaSet, old: readonly ReplicaSet[]): ScaleStep[] {
  const target = newReplicaSetReplicas(d, [...old, newRS], newRS);
  if (target !== specReplicas(newRS)) return [{ rs: newRS, replicas: target }];
  return oldReplicaSetsScaleDown(d, newRS, old);
}
