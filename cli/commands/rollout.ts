import * as grpc from '@grpc/grpc-js';
import type { Deployment, ReplicaSet } from '../../proto/objects/apps.js';
import { qualifiedKind } from '../../proto/resources.js';
import { ApiError } from '../client.js';
import type { ClusterClient } from '../client.js';
import { CliError } from '../errors.js';
import { describePodTemplate } from '../printers/describe.js';
import { historyTable, planUndo, revisionsOf, revisionTemplate } from '../rollout/history.js';
import type { Revision } from '../rollout/history.js';
import { watchRollout } from '../rollout/watch-rollout.js';
import { followDaemonSetRollout } from '../rollout/daemonset-status.js';
import type { GlobalOptions } from './context.js';
import { namespaceOf, print, splitKindName, withClient } from './context.js';

/*
 * `berth rollout status | history | undo` for Deployments, with kubectl's words. Undo is done
 * here, as kubectl does it: the chosen revision's template is patched into the Deployment.
 */

/** RolloutStatusOptions are the flags of `berth rollout status`. */
export interface RolloutStatusOptions extends GlobalOptions {
  /** Milliseconds; 0: no limit. */
  timeout: number;
  watch: boolean;
  revision: number;
}

/** RolloutHistoryOptions are the flags of `berth rollout history`. */
export interface RolloutHistoryOptions extends GlobalOptions {
  revision: number;
}

/** RolloutUndoOptions are the flags of `berth rollout undo`. */
export interface RolloutUndoOptions extends GlobalOptions {
  toRevision: number;
}

/** deploymentTarget reads `deployment/NAME` or `deployment NAME`; the rollout commands know Deployments only. */
export function deploymentTarget(verb: string, target: string, name: string | undefined): { name: string; label: string } {
  const { info, name: objectName } = splitKindName(target, name);
  if (info.kind !== 'Deployment') throw new CliError(`rollout ${verb} works on deployments, not ${info.resource} (use deployment/NAME)`);
  return { name: objectName, label: `${qualifiedKind(info)}/${objectName}` };
}

/**
 * rollout status prints kubectl's message for each change of the rollout until it is done;
 * exits non-zero when the progress deadline passes, when the controller rolls it back, when it
 * is no longer the pinned revision, and at --timeout.
 */
export async function rolloutStatusCommand(target: string, name: string | undefined, options: RolloutStatusOptions): Promise<void> {
  const daemonSet = splitKindName(target, name);
  if (daemonSet.info.kind === 'DaemonSet') {
    const follow = { timeoutMs: options.timeout, follow: options.watch, print };
    return withClient(options, (client) => followDaemonSetRollout(client, namespaceOf(options), daemonSet.name, follow));
  }
  const { name: objectName } = deploymentTarget('status', target, name);
  const since = Date.now();
  const state = await withClient(options, (client) =>
    watchRollout(client, namespaceOf(options), objectName, {
      since,
      revision: options.revision,
      timeoutMs: options.timeout,
      follow: options.watch,
      onChange: (s) => {
        if (s.kind !== 'failed') print(s.message);
      },
    }),
  );
  if (state.kind === 'failed') throw new CliError(state.message);
}

async function deploymentAndRevisions(client: ClusterClient, namespace: string, name: string): Promise<{ deployment: Deployment; revisions: Revision[] }> {
  const deployment = (await client.get('deployments', namespace, name)) as Deployment;
  const replicaSets = await client.list({ resource: 'replicasets', namespace, all_namespaces: false, label_selector: '' });
  return { deployment, revisions: revisionsOf(deployment, replicaSets.items as ReplicaSet[]) };
}

/** rollout history prints the REVISION / CHANGE-CAUSE table, or with --revision that revision's pod template. */
export async function rolloutHistoryCommand(target: string, name: string | undefined, options: RolloutHistoryOptions): Promise<void> {
  const { name: objectName, label } = deploymentTarget('history', target, name);
  const { revisions } = await withClient(options, (client) => deploymentAndRevisions(client, namespaceOf(options), objectName));
  if (options.revision > 0) {
    const template = revisionTemplate(revisions, options.revision);
    print(`${label} with revision #${options.revision}`);
    print(describePodTemplate(template));
    return;
  }
  print(label);
  print(revisions.length === 0 ? 'No rollout history found.' : historyTable(revisions));
}

/** How often undo recomputes its patch when the Deployment changed between the read and the write. */
const MAX_UNDO_ATTEMPTS = 5;

/** rollout undo puts back the previous revision's template, or the one --to-revision names. */
export async function rolloutUndoCommand(target: string, name: string | undefined, options: RolloutUndoOptions): Promise<void> {
  const { name: objectName, label } = deploymentTarget('undo', target, name);
  const namespace = namespaceOf(options);
  const outcome = await withClient(options, async (client) => {
    for (let attempt = 1; ; attempt++) {
      const { deployment, revisions } = await deploymentAndRevisions(client, namespace, objectName);
      const plan = planUndo(deployment, revisions, options.toRevision);
      if (plan.kind === 'skipped') return plan.message;
      try {
        await client.patch('deployments', namespace, objectName, plan.patch, deployment.metadata.resourceVersion ?? '');
        return 'rolled back';
      } catch (err) {
        if (!(err instanceof ApiError && err.code === grpc.status.ABORTED) || attempt >= MAX_UNDO_ATTEMPTS) throw err;
      }
    }
  });
  print(`${label} ${outcome}`);
}
