import type { BerthObject } from '../../proto/objects/meta.js';
import type { Event } from '../../proto/objects/cluster.js';
import { sortEvents } from '../printers/describe.js';
import { parseOutputFormat } from '../printers/output-format.js';
import { render } from '../printers/render.js';
import type { RenderOptions } from '../printers/render.js';
import type { GlobalOptions } from './context.js';
import { namespaceOf, printErr, resourceOf, withClient } from './context.js';

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
 * get prints objects of one kind as a table (kubectl's columns), YAML, JSON, names, a JSONPath
 * template or custom columns.
 */
export async function getCommand(kind: string, names: string[], options: GetOptions): Promise<void> {
  const format = parseOutputFormat(options.output);
  const info = resourceOf(kind);
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
