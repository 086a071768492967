import type { Node } from '../../proto/objects/cluster.js';
import { CliError } from '../errors.js';
import { splitResourcesAndPairs } from '../edits/pairs.js';
import { isTaintArg, parseTaintArgs, updateTaints } from '../edits/taints.js';
import { print, printErr, resourceOf, withClient } from './context.js';
import type { SelectionOptions } from './edit-objects.js';
import { editObjects, selectObjects } from './edit-objects.js';

/** TaintOptions are the flags of `berth taint`. */
export interface TaintOptions extends SelectionOptions {
  overwrite?: boolean;
}

/**
 * taint adds (`KEY[=VALUE]:EFFECT`) or removes (`KEY:EFFECT-`, `KEY-`) taints of nodes, checked
 * in kubectl's order with its messages, and prints `node/NAME tainted`, `untainted` or `modified`.
 */
export async function taintCommand(args: string[], options: TaintOptions): Promise<void> {
  const { resources, pairs } = splitResourcesAndPairs(args, 'taint', isTaintArg);
  if (resources.length === 0) throw new CliError('one or more resources must be specified as <resource> <name>');
  if (pairs.length === 0) throw new CliError('at least one taint update is required');
  const edit = parseTaintArgs(pairs);
  const typeWord = (resources[0] as string).split('/')[0] as string;
  if (resourceOf(typeWord).kind !== 'Node') throw new CliError(`invalid resource type ${typeWord.toLowerCase()}, only node types are supported`);
  if (options.all && options.selector) throw new CliError("setting 'all' parameter with a non empty selector is prohibited");
  const named = resources.length > 1 || (resources[0] as string).includes('/');
  if (!options.all && options.selector === undefined && !named) throw new CliError("at least one resource name must be specified since 'all' parameter is not set");
  const selection = selectObjects(resources, options);
  await withClient(options, (client) =>
    editObjects(client, selection, (live) => {
      const node = live as Node;
      const current = node.spec?.taints ?? [];
      const { operation, taints } = updateTaints(node.metadata.name, current, edit, options.overwrite ?? false);
      const same = JSON.stringify(taints) === JSON.stringify(current);
      // A merge patch replaces a list whole; the write is guarded on the version the list was read at.
      return { ...(same ? {} : { patch: { spec: { taints: taints.length > 0 ? taints : null } } }), operation };
    }, { print, printErr }),
  );
}
