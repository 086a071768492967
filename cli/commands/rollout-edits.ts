import type { Deployment } from '../../proto/objects/apps.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { PodTemplateSpec } from '../../proto/objects/pod.js';
import { apiTimestamp } from '../../proto/time.js';
import { imagePatch, isImagePair, parseImageArgs } from '../edits/images.js';
import { splitResourcesAndPairs } from '../edits/pairs.js';
import { CliError } from '../errors.js';
import type { GlobalOptions } from './context.js';
import { print, printErr, withClient } from './context.js';
import type { ObjectEdit, Selection } from './edit-objects.js';
import { editObjects, selectObjects } from './edit-objects.js';

/*
 * The rollout commands that are one patch of a Deployment (`rollout pause`, `resume`,
 * `restart`) and `set image`, with kubectl's words; each goes through the read - compute -
 * patch loop that `label` uses, so a concurrent change is recomputed, not overwritten.
 */

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** RolloutEdit names the one-patch rollout commands. */
export type RolloutEdit = 'pause' | 'resume' | 'restart';

const NOT_SUPPORTED: Record<RolloutEdit, string> = { pause: 'pausing', resume: 'resuming', restart: 'restarting' };

/** rolloutEditOf is what pause, resume or restart does to one live Deployment, with kubectl's refusals. */
export function rolloutEditOf(verb: RolloutEdit, live: BerthObject, now: number): ObjectEdit {
  const quoted = `${live.kind === 'Deployment' ? 'deployments.apps' : live.kind.toLowerCase()} ${JSON.stringify(live.metadata.name)}`;
  if (live.kind !== 'Deployment') throw new CliError(`${quoted} ${NOT_SUPPORTED[verb]} is not supported`);
  const d = live as Deployment;
  switch (verb) {
    case 'pause':
      if (d.spec.paused) throw new CliError(`${quoted} is already paused`);
      return { patch: { spec: { paused: true } }, operation: 'paused' };
    case 'resume':
      if (!d.spec.paused) throw new CliError(`${quoted} is not paused`);
      return { patch: { spec: { paused: null } }, operation: 'resumed' };
    case 'restart':
      if (d.spec.paused) throw new CliError("can't restart paused deployment (run rollout resume first)");
      return { patch: { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: apiTimestamp(now) } } } } }, operation: 'restarted' };
  }
}

/** rolloutEditCommand runs `berth rollout pause|resume|restart deployment/NAME...`. */
export async function rolloutEditCommand(verb: RolloutEdit, targets: string[], options: GlobalOptions): Promise<void> {
  if (targets.length === 0) throw new CliError('required resource not specified');
  const selection: Selection = selectObjects(targets, options);
  await withClient(options, (client) => editObjects(client, selection, (live) => rolloutEditOf(verb, live, Date.now()), { print, printErr }));
}

/** templateOf is the pod template `set image` changes: a Deployment's or a ReplicaSet's. */
function templateOf(live: BerthObject): PodTemplateSpec {
  const template = (live as { spec?: { template?: PodTemplateSpec } }).spec?.template;
  if ((live.kind !== 'Deployment' && live.kind !== 'ReplicaSet') || !template) {
    throw new CliError(`${live.kind.toLowerCase()}/${live.metadata.name} has no pod template: set image works on deployments and replicasets`);
  }
  return template;
}

/** setImageCommand runs `berth set image KIND/NAME... CONTAINER=IMAGE... | *=IMAGE`. */
export async function setImageCommand(args: string[], options: GlobalOptions): Promise<void> {
  const { resources, pairs } = splitResourcesAndPairs(args, 'image', isImagePair);
  if (resources.length === 0) throw new CliError('one or more resources must be specified as <resource> <name> or <resource>/<name>');
  const images = parseImageArgs(pairs);
  const selection = selectObjects(resources, options);
  await withClient(options, (client) =>
    editObjects(
      client,
      selection,
      (live) => {
        const patch = imagePatch(templateOf(live), images);
        return patch ? { patch, operation: 'image updated' } : { operation: 'image unchanged' };
      },
      { print, printErr },
    ),
  );
}
