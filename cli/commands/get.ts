import { stringify } from 'yaml';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { CliError } from '../errors.js';
import type { Event } from '../../proto/objects/cluster.js';
import { COLUMNS } from '../printers/columns.js';
import { sortEvents } from '../printers/describe.js';
import { formatTable } from '../printers/table.js';
import type { GlobalOptions } from './context.js';
import { namespaceOf, print, printErr, resourceOf, withClient } from './context.js';

export interface GetOptions extends GlobalOptions {
  output?: string;
  allNamespaces?: boolean;
  selector?: string;
  watch?: boolean;
}

const OUTPUTS = ['wide', 'yaml', 'json', 'name'];

/** get prints objects of one kind as a table (kubectl's columns), YAML, JSON or names. */
export async function getCommand(kind: string, names: string[], options: GetOptions): Promise<void> {
  if (options.output && !OUTPUTS.includes(options.output)) throw new CliError(`unable to match a printer suitable for the output format "${options.output}", allowed formats are: ${OUTPUTS.join(',')}`);
  const info = resourceOf(kind);
  const namespace = namespaceOf(options);
  const allNamespaces = (options.allNamespaces ?? false) && info.namespaced;
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
    // -o json/yaml print an empty List, as kubectl does, so scripts can always parse the output.
    if (items.length === 0 && !options.watch && options.output !== 'json' && options.output !== 'yaml') {
      printErr(allNamespaces || !info.namespaced ? 'No resources found' : `No resources found in ${namespace} namespace.`);
      return;
    }
    printObjects(info, items, names.length === 1 && !options.watch, allNamespaces, options.output, true);
    if (options.watch) {
      await client.watch(
        { resource: info.resource, namespace, all_namespaces: allNamespaces, resource_version: resourceVersion, label_selector: options.selector ?? '' },
        (_type, object) => {
          if (names.length > 0 && !names.includes(object.metadata.name)) return;
          printObjects(info, [object], false, allNamespaces, options.output, false);
        },
      );
    }
  });
}

function printObjects(info: ResourceInfo, items: BerthObject[], single: boolean, allNamespaces: boolean, output: string | undefined, headers: boolean): void {
  switch (output) {
    case 'json':
      return print(JSON.stringify(single ? items[0] : { apiVersion: 'v1', kind: 'List', items }, null, 2));
    case 'yaml':
      return print(stringify(single ? items[0] : { apiVersion: 'v1', kind: 'List', items }));
    case 'name':
      return print(items.map((o) => `${info.group ? `${info.singular}.${info.group}` : info.singular}/${o.metadata.name}`).join('\n'));
  }
  const columns = COLUMNS[info.kind];
  if (!columns) throw new CliError(`no table format for ${info.kind}: use -o yaml`);
  const wide = output === 'wide';
  const now = Date.now();
  const header = [...(allNamespaces ? ['NAMESPACE'] : []), ...columns.headers, ...(wide ? columns.wide : [])];
  const rows = items.map((o) => [...(allNamespaces ? [o.metadata.namespace ?? ''] : []), ...columns.row(o, now), ...(wide ? columns.wideRow(o) : [])]);
  const table = formatTable(header, rows);
  print(headers ? table : table.split('\n').slice(1).join('\n'));
}
