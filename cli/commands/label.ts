import { CliError } from '../errors.js';
import { editMap, labelOperation } from '../edits/metadata-map.js';
import { parseAnnotationArgs, parseLabelArgs, splitResourcesAndPairs } from '../edits/pairs.js';
import { print, printErr, withClient } from './context.js';
import type { SelectionOptions } from './edit-objects.js';
import { checkSelectionFlags, editObjects, selectObjects } from './edit-objects.js';

/** MetadataEditOptions are the flags of `berth label` and `berth annotate`. */
export interface MetadataEditOptions extends SelectionOptions {
  overwrite?: boolean;
  resourceVersion?: string;
}

/**
 * label adds, changes (--overwrite) or removes (KEY-) labels of objects of any kind, printing
 * kubectl's `node/node-2 labeled`, `unlabeled` or `not labeled` for each.
 */
export async function labelCommand(args: string[], options: MetadataEditOptions): Promise<void> {
  const { resources, pairs } = splitResourcesAndPairs(args, 'label');
  const edit = parseLabelArgs(pairs);
  checkSelectionFlags(resources, options);
  if (edit.set.length === 0 && edit.remove.length === 0) throw new CliError('at least one label update is required');
  const selection = selectObjects(resources, options);
  await withClient(options, (client) =>
    editObjects(
      client,
      selection,
      (live) => {
        const { patch, missing } = editMap(live.metadata.labels, edit, options.overwrite ?? false, 'labels');
        const changed = Object.keys(patch).length > 0;
        return {
          ...(changed ? { patch: { metadata: { labels: patch } } } : {}),
          operation: labelOperation(patch),
          notes: missing.map((key) => `label ${JSON.stringify(key)} not found.`),
        };
      },
      { print, printErr },
      options.resourceVersion,
    ),
  );
}

/** annotate adds, changes (--overwrite) or removes (KEY-) annotations, printing kubectl's `annotated`. */
export async function annotateCommand(args: string[], options: MetadataEditOptions): Promise<void> {
  const { resources, pairs } = splitResourcesAndPairs(args, 'annotation');
  const edit = parseAnnotationArgs(pairs);
  checkSelectionFlags(resources, options);
  if (edit.set.length === 0 && edit.remove.length === 0) throw new CliError('at least one annotation update is required');
  const selection = selectObjects(resources, options);
  await withClient(options, (client) =>
    editObjects(
      client,
      selection,
      (live) => {
        const { patch } = editMap(live.metadata.annotations, edit, options.overwrite ?? false, 'annotations');
        // kubectl says "annotated" whether or not anything changed.
        return { ...(Object.keys(patch).length > 0 ? { patch: { metadata: { annotations: patch } } } : {}), operation: 'annotated' };
      },
      { print, printErr },
      options.resourceVersion,
    ),
  );
}
