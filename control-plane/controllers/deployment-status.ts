import type { Deployment, DeploymentStatus, ReplicaSet } from '../../proto/objects/apps.js';
import type { Condition } from '../../proto/objects/meta.js';
import { findCondition, setCondition } from '../../proto/objects/conditions.js';
import { apiTimestamp } from '../../proto/time.js';
import { rolledBackCondition } from './rollback.js';
import { maxUnavailable, waitsForTermination } from './rolling.js';

/**
 * A Deployment's status as Kubernetes reports it (progress.go, calculateStatus): the counts
 * summed over its ReplicaSets, and the Available, Progressing and (Berth's) RolledBack conditions.
 */

/**
 * deploymentStatus sums the ReplicaSets' counts and sets the conditions in Kubernetes' words.
 * `created` says this step created the new ReplicaSet.
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
    // Kubernetes counts against every ReplicaSet's spec, so surge pods not yet up are unavailable too.
    unavailableReplicas: Math.max(0, sum((rs) => rs.spec.replicas ?? 1) - available),
    terminatingReplicas: sum((rs) => rs.status?.terminatingReplicas),
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
  const next = progressing(d, status, newRS, created, nowMs);
  if (next) conditions = setCondition(conditions, { ...next.condition, lastUpdateTime: now }, now, { refreshUpdateTime: next.refresh });
  const rolledBack = rolledBackCondition(d, all, newRS);
  if (rolledBack) conditions = setCondition(conditions, { ...rolledBack, lastUpdateTime: now }, now);
  status.conditions = conditions;
  return status;
}

/**
 * isComplete: every replica runs the new template and is available, nothing else runs (no
 * terminating pod either, under TerminationComplete), and the controller has seen the latest spec
 * (Kubernetes' DeploymentComplete).
 */
export function isComplete(d: Deployment, status: DeploymentStatus, newRS: ReplicaSet | undefined): boolean {
  const desired = d.spec.replicas ?? 1;
  const terminated = !waitsForTermination(d) || (status.terminatingReplicas ?? 0) === 0;
  return newRS !== undefined && status.updatedReplicas === desired && status.replicas === desired && status.availableReplicas === desired && terminated && (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/**
 * madeProgress: more pods updated, ready or available, fewer old ones, or fewer terminating
 * (under TerminationComplete, waiting for them is part of the rollout) (Kubernetes' DeploymentProgressing).
 */
function madeProgress(d: Deployment, after: DeploymentStatus): boolean {
  const b = d.status ?? {};
  const oldPods = (s: DeploymentStatus) => (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  const fewerTerminating = waitsForTermination(d) && (after.terminatingReplicas ?? 0) < (b.terminatingReplicas ?? 0);
  return (after.updatedReplicas ?? 0) > (b.updatedReplicas ?? 0) || (after.readyReplicas ?? 0) > (b.readyReplicas ?? 0) || (after.availableReplicas ?? 0) > (b.availableReplicas ?? 0) || oldPods(after) < oldPods(b) || fewerTerminating;
}

/**
 * progressing decides the Progressing condition, or undefined to leave it as it is: paused
 * (Unknown, DeploymentPaused) and resumed (Unknown, DeploymentResumed, which restarts the
 * deadline); done (NewReplicaSetAvailable); moving (ReplicaSetUpdated, re-dated at each step
 * forward); or stuck longer than progressDeadlineSeconds since the last step
 * (ProgressDeadlineExceeded, status False, kept until the rollout moves again).
 */
function progressing(d: Deployment, status: DeploymentStatus, newRS: ReplicaSet | undefined, created: boolean, nowMs: number): { condition: Condition; refresh: boolean } | undefined {
  const name = newRS?.metadata.name ?? '';
  const previous = findCondition(d.status?.conditions, 'Progressing');
  if (d.spec.paused) {
    if (previous?.reason === 'ProgressDeadlineExceeded') return undefined;
    return { condition: { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, refresh: false };
  }
  if (previous?.reason === 'DeploymentPaused') return { condition: { type: 'Progressing', status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed' }, refresh: true };
  if (created) return { condition: { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${name}"` }, refresh: true };
  if (previous?.reason === 'NewReplicaSetAvailable' && status.replicas === status.updatedReplicas) return undefined;
  if (isComplete(d, status, newRS)) return { condition: { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}" has successfully progressed.` }, refresh: true };
  const moving: Condition = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${name}" is progressing.` };
  if (madeProgress(d, status)) return { condition: moving, refresh: true };
  if (previous?.reason === 'ProgressDeadlineExceeded' || previous?.reason === 'NewReplicaSetAvailable') return undefined;
  const deadline = progressDeadlineMs(d, previous);
  if (deadline !== undefined && deadline <= nowMs) return { condition: { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${name}" has timed out progressing.` }, refresh: false };
  return previous ? undefined : { condition: moving, refresh: true };
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
  const condition = findCondition(status.conditions, 'Progressing');
  if (d.spec.paused || condition === undefined || condition.status === 'False' || condition.reason === 'NewReplicaSetAvailable' || condition.reason === 'DeploymentPaused') return undefined;
  const deadline = progressDeadlineMs(d, condition);
  return deadline === undefined ? undefined : Math.max(deadline - nowMs, 0) + 1000;
}
