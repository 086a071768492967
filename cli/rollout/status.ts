import type { Deployment } from '../../proto/objects/apps.js';
import { findCondition } from '../../proto/objects/conditions.js';

/*
 * Where a Deployment's rollout stands, read from the Deployment alone, with kubectl's words
 * (`kubectl rollout status`): the one judgement `rollout status` and `apply --wait` share.
 */

/** The revision number the controller gives a Deployment's template (on the Deployment and its ReplicaSets). */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** "true": the controller rolls back a rollout that passes its progress deadline. */
export const AUTO_ROLLBACK_ANNOTATION = 'berth.dev/auto-rollback';

/**
 * RolloutState is used to report a rollout: still `progressing` (with kubectl's message and a
 * shorter `step` for the live display), `complete`, or `failed` (deadline passed, rolled back,
 * another revision than the one pinned). A failure carries the reason, so a caller can wait a
 * moment for the automatic rollback that follows a missed deadline.
 */
export type RolloutState =
  | { kind: 'progressing'; message: string; step: string }
  | { kind: 'complete'; message: string }
  | { kind: 'failed'; reason: 'deadline' | 'rolled-back' | 'revision' | 'timeout' | 'deleted'; message: string };

/** StatusOptions: the revision the caller pinned (0: the latest) and when it started watching (ms). */
export interface StatusOptions {
  revision?: number;
  since: number;
}

/** deploymentRevision is the revision number the controller gave the Deployment's current template (0: none yet). */
export function deploymentRevision(d: Deployment): number {
  const n = Number.parseInt(d.metadata.annotations?.[REVISION_ANNOTATION] ?? '', 10);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/**
 * rolledBackSince is the RolledBack=True condition's message when the controller rolled the
 * Deployment back at or after `since`. Conditions carry whole seconds, so `since` is rounded
 * down to its second: a rollback in the same second as the start counts.
 */
export function rolledBackSince(d: Deployment, since: number): string | undefined {
  const c = findCondition(d.status?.conditions, 'RolledBack');
  if (c?.status !== 'True' || !c.lastTransitionTime) return undefined;
  const at = Date.parse(c.lastTransitionTime);
  return at >= Math.floor(since / 1000) * 1000 ? (c.message ?? 'rolled back') : undefined;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** rolloutState judges a rollout as `kubectl rollout status` does, plus Berth's automatic rollback. */
export function rolloutState(d: Deployment, options: StatusOptions): RolloutState {
  const name = JSON.stringify(d.metadata.name);
  const rolledBack = rolledBackSince(d, options.since);
  if (rolledBack !== undefined) return { kind: 'failed', reason: 'rolled-back', message: `deployment ${name} ${rolledBack}` };
  const pinned = options.revision ?? 0;
  if (pinned > 0) {
    const running = deploymentRevision(d);
    if (running !== pinned) return { kind: 'failed', reason: 'revision', message: `desired revision (${pinned}) is different from the running revision (${running})` };
  }
  const s = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return { kind: 'progressing', message: 'Waiting for deployment spec update to be observed...', step: 'waiting for the controller to see the change' };
  }
  if (findCondition(s.conditions, 'Progressing')?.reason === 'ProgressDeadlineExceeded') {
    return { kind: 'failed', reason: 'deadline', message: `deployment ${name} exceeded its progress deadline` };
  }
  const desired = d.spec.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  const total = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const waiting = `Waiting for deployment ${name} rollout to finish: `;
  const paused = d.spec.paused ? 'paused: ' : '';
  if (updated < desired) {
    return { kind: 'progressing', message: `${waiting}${updated} out of ${desired} new replicas have been updated...`, step: `${paused}${plural(desired - updated, 'replica')} left to update` };
  }
  if (total > updated) {
    return { kind: 'progressing', message: `${waiting}${total - updated} old replicas are pending termination...`, step: `${paused}waiting for ${plural(total - updated, 'old replica')} to terminate` };
  }
  if (available < updated) {
    return { kind: 'progressing', message: `${waiting}${available} of ${updated} updated replicas are available...`, step: `${paused}waiting for ${plural(updated - available, 'updated replica')} to become available` };
  }
  return { kind: 'complete', message: `deployment ${name} successfully rolled out` };
}

/** ReplicaCounts is the progress line's figures: of `desired`, how many are updated, ready and available. */
export interface ReplicaCounts {
  desired: number;
  updated: number;
  ready: number;
  available: number;
}

/** replicaCounts reads the progress figures from a Deployment's spec and status. */
export function replicaCounts(d: Deployment): ReplicaCounts {
  const s = d.status ?? {};
  return { desired: d.spec.replicas ?? 1, updated: s.updatedReplicas ?? 0, ready: s.readyReplicas ?? 0, available: s.availableReplicas ?? 0 };
}
