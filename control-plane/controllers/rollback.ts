import type { Deployment, DeploymentStatus, ReplicaSet } from '../../proto/objects/apps.js';
import type { Condition } from '../../proto/objects/meta.js';
import type { PodTemplateSpec } from '../../proto/objects/pod.js';
import { findCondition } from '../../proto/objects/conditions.js';
import { deepCopy } from '../objects/json.js';
import { AUTO_ROLLBACK_ANNOTATION, AVAILABLE_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REVISION_HISTORY_ANNOTATION, desiredTemplate, revisionOf, templatesEqualIgnoringHash } from './deployment-logic.js';

/**
 * Automatic rollback, which Kubernetes never built (Nomad's auto_revert, Swarm's
 * failure_action: rollback): a Deployment annotated berth.dev/auto-rollback: "true" whose
 * rollout passes its progress deadline gets back the template of the newest older revision
 * that became fully available, once; the RolledBack condition records it until the next
 * template change.
 */

/** AutoRollback is a decided rollback: the template to put back and the words to say so. */
export interface AutoRollback {
  target: ReplicaSet;
  fromRevision: number;
  toRevision: number;
  template: PodTemplateSpec;
  /** The RolledBack condition's message: "rolled back from revision N to revision M: <why>". */
  message: string;
}

/** rollbackTemplate is a ReplicaSet's pod template as a Deployment holds it: without pod-template-hash. */
export function rollbackTemplate(rs: ReplicaSet): PodTemplateSpec {
  const template = deepCopy(rs.spec.template);
  const labels = template.metadata?.labels;
  if (labels) delete labels[POD_TEMPLATE_HASH_LABEL];
  return template;
}

/** rollbackTarget is the newest older ReplicaSet marked berth.dev/available, if any. */
export function rollbackTarget(old: readonly ReplicaSet[]): ReplicaSet | undefined {
  return old.filter((rs) => rs.metadata.annotations?.[AVAILABLE_ANNOTATION] === 'true').sort((a, b) => revisionOf(b) - revisionOf(a))[0];
}

/**
 * autoRollback decides whether this step rolls back: the Deployment opted in, is not paused,
 * its new status says ProgressDeadlineExceeded, it has not already rolled back since its last
 * template change (so a failing rollback is not rolled back in turn), and an older revision
 * became available.
 */
export function autoRollback(d: Deployment, status: DeploymentStatus, newRS: ReplicaSet | undefined, old: readonly ReplicaSet[]): AutoRollback | undefined {
  if (d.metadata.annotations?.[AUTO_ROLLBACK_ANNOTATION] !== 'true' || d.spec.paused || !newRS) return undefined;
  const progressing = findCondition(status.conditions, 'Progressing');
  if (progressing?.status !== 'False' || progressing.reason !== 'ProgressDeadlineExceeded') return undefined;
  if (findCondition(status.conditions, 'RolledBack')?.status === 'True') return undefined;
  const target = rollbackTarget(old);
  if (!target) return undefined;
  const fromRevision = revisionOf(newRS);
  const toRevision = revisionOf(target);
  const why = progressing.message ?? 'progress deadline exceeded';
  return { target, fromRevision, toRevision, template: rollbackTemplate(target), message: `rolled back from revision ${fromRevision} to revision ${toRevision}: ${why}` };
}

/** rolledBack is the condition a rollback sets. */
export function rolledBack(rollback: AutoRollback): Condition {
  return { type: 'RolledBack', status: 'True', reason: 'ProgressDeadlineExceeded', message: rollback.message };
}

/**
 * rolledBackCondition turns RolledBack False (reason NewRevision) once the Deployment's template
 * is no longer the one it was rolled back to; undefined leaves the condition as it is. The
 * revision rolled back to is the one its message names; that ReplicaSet has a newer revision
 * since, and keeps the old one in its revision-history.
 */
export function rolledBackCondition(d: Deployment, all: readonly ReplicaSet[], newRS: ReplicaSet | undefined): Condition | undefined {
  const current = findCondition(d.status?.conditions, 'RolledBack');
  if (current?.status !== 'True') return undefined;
  const m = /to revision (\d+)/.exec(current.message ?? '');
  const revision = m ? Number(m[1]) : NaN;
  const served = (rs: ReplicaSet) => revisionOf(rs) === revision || (rs.metadata.annotations?.[REVISION_HISTORY_ANNOTATION] ?? '').split(',').includes(String(revision));
  const target = all.find(served);
  if (target && templatesEqualIgnoringHash(target.spec.template, desiredTemplate(d))) return undefined;
  const now = newRS ? `revision ${revisionOf(newRS)}` : 'a new template';
  return { type: 'RolledBack', status: 'False', reason: 'NewRevision', message: `${now} replaced the rolled-back revision ${revision}` };
}
