import * as grpc from '@grpc/grpc-js';
import type { BerthObject } from '../../proto/objects/meta.js';
import { qualifiedKind } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { ApiError } from '../client.js';
import { CliError } from '../errors.js';
import type { GlobalOptions } from './context.js';
import { namespaceOf, resourceOf } from './context.js';

/*
 * The shared part of `berth label`, `annotate` and `taint`: which objects the arguments name, and
 * the read - compute - patch loop that changes each of them.
 */

/** SelectionOptions are the flags that choose objects besides their names. */
export interface SelectionOptions extends GlobalOptions {
  all?: boolean;
  selector?: string;
  allNamespaces?: boolean;
}

/** Selection is what the resource arguments name: objects by name, or every object of a kind matching a selector. */
export type Selection =
  | { kind: 'named'; targets: { info: ResourceInfo; namespace: string; name: string }[] }
  | { kind: 'selected'; info: ResourceInfo; namespace: string; allNamespaces: boolean; selector: string };

/** checkSelectionFlags is kubectl's first check of the resource arguments, made before it reads the changes. */
export function checkSelectionFlags(resources: string[], options: SelectionOptions): void {
  if (options.all && options.selector) throw new CliError('cannot set --all and --selector at the same time');
  if (resources.length === 0) throw new CliError('one or more resources must be specified as <resource> <name> or <resource>/<name>');
}

/** selectObjects reads `TYPE NAME...`, `TYPE/NAME...` or `TYPE` with --all or -l, with kubectl's messages. */
export function selectObjects(resources: string[], options: SelectionOptions): Selection {
  checkSelectionFlags(resources, options);
  const namespace = namespaceOf(options);
  const selecting = options.all || options.selector !== undefined;
  const first = resources[0] as string;
  if (first.includes('/')) {
    if (selecting) throw new CliError('name cannot be provided when a selector is specified');
    const targets = resources.map((arg) => {
      const [kind, name, ...rest] = arg.split('/');
      if (!kind || !name || rest.length > 0) throw new CliError(`arguments in resource/name form must have a single resource and name: "${arg}"`);
      return { info: resourceOf(kind), namespace, name };
    });
    return { kind: 'named', targets };
  }
  const info = resourceOf(first);
  const names = resources.slice(1);
  if (names.some((n) => n.includes('/'))) {
    throw new CliError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'berth get resource/<resource_name>' instead of 'berth get resource resource/<resource_name>'`);
  }
  if (selecting) {
    if (names.length > 0) throw new CliError('name cannot be provided when a selector is specified');
    return { kind: 'selected', info, namespace, allNamespaces: (options.allNamespaces ?? false) && info.namespaced, selector: options.selector ?? '' };
  }
  if (names.length === 0) throw new CliError('resource(s) were provided, but no name was specified');
  return { kind: 'named', targets: names.map((name) => ({ info, namespace, name })) };
}

/** ObjectEdit is what a command does to one live object: the merge patch (none: nothing to change), the word to print and notes printed before it. */
export interface ObjectEdit {
  patch?: object;
  operation: string;
  notes?: string[];
}

/** The ClusterAPI calls the loop needs (ClusterClient has them). */
export interface EditClient {
  get(resource: string, namespace: string, name: string): Promise<BerthObject>;
  list(request: { resource: string; namespace: string; all_namespaces: boolean; label_selector: string }): Promise<{ items: BerthObject[] }>;
  patch(resource: string, namespace: string, name: string, patch: object, resourceVersion?: string): Promise<BerthObject>;
}

/** Output is where the loop prints: stdout and stderr lines (collected in tests). */
export interface Output {
  print(line: string): void;
  printErr(line: string): void;
}

/** How often an edit is recomputed when the object changed between the read and the patch. */
const MAX_EDIT_ATTEMPTS = 5;

/**
 * editObjects computes each object's edit from the live object and patches it, guarded on the
 * resourceVersion it read; when someone else wrote the object in between (Conflict), it reads
 * again and recomputes, as kubectl does. With `resourceVersion` given by the user, a conflict is
 * reported instead. Like kubectl it goes on after an object that fails and fails at the end.
 */
export async function editObjects(client: EditClient, selection: Selection, edit: (live: BerthObject) => ObjectEdit, out: Output, resourceVersion?: string): Promise<void> {
  let objects: { info: ResourceInfo; live: BerthObject | undefined; namespace: string; name: string }[];
  if (selection.kind === 'named') {
    objects = selection.targets.map((t) => ({ ...t, live: undefined }));
  } else {
    const { info, namespace, allNamespaces, selector } = selection;
    const list = await client.list({ resource: info.resource, namespace, all_namespaces: allNamespaces, label_selector: selector });
    objects = list.items.map((o) => ({ info, live: o, namespace: o.metadata.namespace ?? '', name: o.metadata.name }));
    if (objects.length === 0) out.printErr(allNamespaces || !info.namespaced ? 'No resources found' : `No resources found in ${namespace} namespace.`);
  }
  if (resourceVersion && objects.length !== 1) throw new CliError('--resource-version may only be used with a single resource');

  const failures: CliError[] = [];
  for (const o of objects) {
    try {
      const { operation, notes } = await editOne(client, o, edit, resourceVersion);
      for (const note of notes) out.print(note);
      out.print(`${qualifiedKind(o.info)}/${o.name} ${operation}`);
    } catch (err) {
      if (err instanceof ApiError && err.message.startsWith('cannot reach')) throw err;
      if (!(err instanceof CliError)) throw err;
      failures.push(err);
    }
  }
  const last = failures.pop();
  for (const f of failures) out.printErr(f.message.startsWith('Error from server') ? f.message : `error: ${f.message}`);
  if (last) throw last;
}

async function editOne(
  client: EditClient,
  o: { info: ResourceInfo; live: BerthObject | undefined; namespace: string; name: string },
  edit: (live: BerthObject) => ObjectEdit,
  resourceVersion?: string,
): Promise<{ operation: string; notes: string[] }> {
  let live = o.live ?? (await client.get(o.info.resource, o.namespace, o.name));
  for (let attempt = 1; ; attempt++) {
    const result = edit(live);
    const done = { operation: result.operation, notes: result.notes ?? [] };
    if (!result.patch) return done;
    try {
      await client.patch(o.info.resource, o.namespace, o.name, result.patch, resourceVersion ?? live.metadata.resourceVersion ?? '');
      return done;
    } catch (err) {
      const conflict = err instanceof ApiError && err.code === grpc.status.ABORTED;
      if (!conflict || resourceVersion || attempt >= MAX_EDIT_ATTEMPTS) throw err;
      live = await client.get(o.info.resource, o.namespace, o.name);
    }
  }
}
