import { CliError } from '../errors.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { Event } from '../../proto/objects/cluster.js';
import { sortEvents } from '../printers/describe.js';
import { parseOutputFormat } from '../printers/output-format.js';
import { render } from '../printers/render.js';
import type { RenderOptions } from '../printers/render.js';
import type { GlobalOptions } from './context.js';
import { namespaceOf, printErr, withClient } from './context.js';
import { getTargets, type GetTarget } from './get-targets.js';
import type { ClusterClient } from '../client.js';
import type { OutputFormat } from '../printers/output-format.js';

/** GetOptions are the flags of `berth get`. */
export interface GetOptions extends GlobalOptions {
  output?: string;
  allNamespaces?: boolean;
  selector?: string;
  watch?: boolean;
  /** --no-headers is commander's negation: headers is false then. */
  headers?: boolean;
  showLabels?: boolean;
  allowMissingTemplateKeys?: boolean;
}

/**
 * get prints objects as a table (kubectl's columns), YAML, JSON, names, a JSONPath template or
 * custom columns: of one kind, of several (`pods,svc`) or named as kind/name pairs.
 */
export async function getCommand(kind: string, names: string[], options: GetOptions): Promise<void> {
  const format = parseOutputFormat(options.output);
  const targets = getTargets(kind, names);
  const [only] = targets;
  if (targets.length === 1 && only) return getOneKind(only, format, options);
  if (options.watch) throw new CliError(`watch is only supported on individual resources and resource collections, but ${targets.length} resources were found`);
  await withClient(options, async (client) => {
    const found: { target: GetTarget; items: BerthObject[] }[] = [];
    for (const target of targets) found.push({ target, items: await fetchItems(client, target, options) });
    const all = found.flatMap((f) => f.items);
    if (all.length === 0 && (format.kind === 'table' || format.kind === 'name')) {
      printErr(options.allNamespaces ? 'No resources found' : `No resources found in ${namespaceOf(options)} namespace.`);
      return;
    }
    const renderOptions = { single: false, allNamespaces: options.allNamespaces ?? false, header: options.headers === false ? 'omit' : 'print', showLabels: options.showLabels ?? false, allowMissingKeys: options.allowMissingTemplateKeys ?? true, now: Date.now(), kindPrefix: true } as const;
    if (format.kind === 'table' || format.kind === 'custom-columns' || format.kind === 'name') {
      // One table per kind, a blank line between them, as kubectl prints `get pods,svc`.
      const blocks = found.filter((f) => f.items.length > 0).map((f) => render(f.target.info, f.items, format, { ...renderOptions, allNamespaces: renderOptions.allNamespaces && f.target.info.namespaced }));
      process.stdout.write(blocks.join(format.kind === 'name' ? '' : '\n'));
      return;
    }
    process.stdout.write(render((only as GetTarget).info, all, format, renderOptions));
  });
}

async function fetchItems(client: ClusterClient, target: GetTarget, options: GetOptions): Promise<BerthObject[]> {
  const namespace = namespaceOf(options);
  const items: BerthObject[] = [];
  if (target.names.length > 0) {
    for (const name of target.names) items.push(await client.get(target.info.resource, namespace, name));
    return items;
  }
  const allNamespaces = (options.allNamespaces ?? false) && target.info.namespaced;
  const list = await client.list({ resource: target.info.resource, namespace, all_namespaces: allNamespaces, label_selector: options.selector ?? '' });
  return target.info.kind === 'Event' ? sortEvents(list.items as Event[]) : list.items;
}

async function getOneKind(target: GetTarget, format: OutputFormat, options: GetOptions): Promise<void> {
  const { info, names } = target;
  const namespace = namespaceOf(options);
  const allNamespaces = (options.allNamespaces ?? false) && info.namespaced;
  const renderOptions = (single: boolean, first: boolean): RenderOptions => ({
    single,
    allNamespaces,
    header: options.headers === false ? 'omit' : first ? 'print' : 'measure',
    showLabels: options.showLabels ?? false,
    allowMissingKeys: options.allowMissingTemplateKeys ?? true,
    now: Date.now(),
  });
  await withClient(options, async (client) => {
    let items: BerthObject[];
    let resourceVersion = '';
    if (names.length > 0) {
      items = [];
      for (const name of names) items.push(await client.get(info.resource, namespace, name));
    } else {
      const list = await client.list({ resource: info.resource, namespace, all_namespaces: allNamespaces, label_selector: options.selector ?? '' });
      // Events read best in the order they happened, as `kubectl events` prints them.
      items = info.kind === 'Event' ? sortEvents(list.items as Event[]) : list.items;
      resourceVersion = list.resourceVersion;
    }
    // Only a table says "No resources found"; the other formats print an empty List (or just a header), as kubectl does.
    if (items.length === 0 && !options.watch && (format.kind === 'table' || format.kind === 'name')) {
      printErr(allNamespaces || !info.namespaced ? 'No resources found' : `No resources found in ${namespace} namespace.`);
      return;
    }
    process.stdout.write(render(info, items, format, renderOptions(names.length === 1 && !options.watch, true)));
    if (options.watch) {
      await client.watch(
        { resource: info.resource, namespace, all_namespaces: allNamespaces, resource_version: resourceVersion, label_selector: options.selector ?? '' },
        (_type, object) => {
          if (names.length > 0 && !names.includes(object.metadata.name)) return;
          process.stdout.write(render(info, [object], format, renderOptions(true, false)));
        },
      );
    }
  });
}
