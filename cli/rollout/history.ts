import type { Deployment, ReplicaSet } from '../../proto/objects/apps.js';
import type { PodTemplateSpec } from '../../proto/objects/pod.js';
import { CliError } from '../errors.js';
import { createMergePatch, jsonEqual } from './merge-patch.js';
import type { JsonValue } from './merge-patch.js';
import { REVISION_ANNOTATION } from './status.js';

/*
 * A Deployment's revisions are its ReplicaSets, each numbered by the controller: the history
 * table, the template of one revision, and the patch that rolls back to one (kubectl's
 * client-side `rollout undo`).
 */

/** Why a revision was made, as the user wrote it (kept by the controller on each ReplicaSet). */
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
/** The label the controller adds to a ReplicaSet's template; a Deployment's template never has it. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Revision is one ReplicaSet of a Deployment with the number the controller gave it. */
export interface Revision {
  revision: number;
  replicaSet: ReplicaSet;
}

/** revisionsOf lists the ReplicaSets the Deployment controls, by revision, oldest first (unnumbered ones left out). */
export function revisionsOf(d: Deployment, replicaSets: readonly ReplicaSet[]): Revision[] {
  const uid = d.metadata.uid;
  const owned = replicaSets.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.controller && r.kind === 'Deployment' && (uid ? r.uid === uid : r.name === d.metadata.name)));
  const out: Revision[] = [];
  for (const rs of owned) {
    const n = Number.parseInt(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '', 10);
    if (Number.isInteger(n) && n > 0) out.push({ revision: n, replicaSet: rs });
  }
  return out.sort((a, b) => a.revision - b.revision);
}

/** historyTable is kubectl's REVISION / CHANGE-CAUSE table (columns two spaces apart, `<none>` for no cause). */
export function historyTable(revisions: readonly Revision[]): string {
  const rows = [['REVISION', 'CHANGE-CAUSE'], ...revisions.map((r) => [String(r.revision), r.replicaSet.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION] || '<none>'])];
  const width = Math.max(...rows.map((r) => (r[0] as string).length)) + 2;
  return rows.map(([rev, cause]) => `${(rev as string).padEnd(width)}${cause as string}`).join('\n');
}

/**
 * revisionTemplate is the pod template of one revision as `rollout history --revision` shows it:
 * the ReplicaSet's template with its change-cause among the template's annotations.
 */
export function revisionTemplate(revisions: readonly Revision[], revision: number): PodTemplateSpec {
  const found = revisions.find((r) => r.revision === revision);
  if (!found) throw new CliError('unable to find the specified revision');
  const template = structuredClone(found.replicaSet.spec.template);
  const cause = found.replicaSet.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION];
  if (cause) template.metadata = { ...template.metadata, annotations: { ...template.metadata?.annotations, [CHANGE_CAUSE_ANNOTATION]: cause } };
  return template;
}

/** withoutHash is a template without the pod-template-hash label the controller adds to its ReplicaSets. */
export function withoutHash(template: PodTemplateSpec): PodTemplateSpec {
  const copy = structuredClone(template);
  const labels = copy.metadata?.labels;
  if (labels && POD_TEMPLATE_HASH_LABEL in labels) {
    delete labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(labels).length === 0 && copy.metadata) delete copy.metadata.labels;
  }
  return copy;
}

/**
 * UndoPlan is what `rollout undo` does: patch the Deployment (to `revision`), or nothing because
 * its template already is that revision's (`skipped`, kubectl's message).
 */
export type UndoPlan =
  | { kind: 'patch'; revision: number; patch: Record<string, JsonValue> }
  | { kind: 'skipped'; message: string };

/** rollbackRevision picks the revision to go back to as kubectl does: the one asked for, else the one before the newest. */
function rollbackRevision(d: Deployment, revisions: readonly Revision[], toRevision: number): Revision {
  if (toRevision > 0) {
    const found = revisions.find((r) => r.revision === toRevision);
    if (!found) throw new CliError(`unable to find specified revision ${toRevision} in history`);
    return found;
  }
  const previous = revisions.at(-2);
  if (!previous) throw new CliError(`no rollout history found for deployment ${JSON.stringify(d.metadata.name)}`);
  return previous;
}

/**
 * planUndo computes kubectl's rollback: the chosen ReplicaSet's template, minus its
 * pod-template-hash label, replaces the Deployment's (a merge patch that also removes what the
 * target lacks), and its change-cause becomes the Deployment's. A paused Deployment is refused.
 */
export function planUndo(d: Deployment, revisions: readonly Revision[], toRevision: number): UndoPlan {
  if (toRevision < 0) throw new CliError(`--to-revision must be 0 (the previous revision) or more, not ${toRevision}`);
  const target = rollbackRevision(d, revisions, toRevision);
  if (d.spec.paused) {
    throw new CliError(`you cannot rollback a paused deployment; resume it first with 'berth rollout resume deployment/${d.metadata.name}' and try again`);
  }
  const template = withoutHash(target.replicaSet.spec.template);
  if (jsonEqual(withoutHash(d.spec.template), template)) {
    return { kind: 'skipped', message: `skipped rollback (current template already matches revision ${target.revision})` };
  }
  const patch: Record<string, JsonValue> = {
    spec: { template: createMergePatch(d.spec.template as unknown as Record<string, unknown>, template as unknown as Record<string, unknown>) },
  };
  const cause = target.replicaSet.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION];
  if (cause !== d.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION]) patch.metadata = { annotations: { [CHANGE_CAUSE_ANNOTATION]: cause ?? null } };
  return { kind: 'patch', revision: target.revision, patch };
}
