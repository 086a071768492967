import { stringify } from 'yaml';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { CliError } from '../errors.js';
import { JsonPathError } from '../jsonpath/errors.js';
import type { JsonPath } from '../jsonpath/evaluate.js';
import { COLUMNS } from './columns.js';
import { customColumnsRow } from './custom-columns.js';
import type { OutputFormat } from './output-format.js';
import { formatRows } from './table.js';

/** RenderOptions say how `berth get` prints one batch of objects. */
export interface RenderOptions {
  /** One object was asked for by name: json, yaml and jsonpath print it rather than a List. */
  single: boolean;
  allNamespaces: boolean;
  /** print: a header row; omit: none (--no-headers); measure: none, but columns as wide as the header (later rows of a watch). */
  header: 'print' | 'omit' | 'measure';
  /** --show-labels: a LABELS column at the end of a table. */
  showLabels: boolean;
  /** --allow-missing-template-keys (true by default, as in kubectl). */
  allowMissingKeys: boolean;
  now: number;
  /** Several kinds in one `get` (pods,svc): a table's NAME reads kind/name, as kubectl prints it. */
  kindPrefix?: boolean;
}

/** labelsText is kubectl's LABELS column: `k=v` sorted by key, comma-separated, `<none>` when empty. */
export function labelsText(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${labels?.[k] ?? ''}`).join(',');
}

/**
 * render is the text `berth get` prints for `items` in `format`. Like kubectl, a jsonpath
 * template's output ends where the template ends (no newline is added); a table or custom-columns
 * output ends with a newline unless it is empty.
 */
export function render(info: ResourceInfo, items: BerthObject[], format: OutputFormat, options: RenderOptions): string {
  const listOrOne = () => (options.single ? items[0] : { apiVersion: 'v1', kind: 'List', items });
  switch (format.kind) {
    case 'json':
      return `${JSON.stringify(listOrOne(), null, 2)}\n`;
    case 'yaml':
      return stringify(listOrOne());
    case 'name':
      return items.map((o) => `${qualifiedName(info, o)}\n`).join('');
    case 'jsonpath':
      return executeTemplate(format.path, listOrOne(), options.allowMissingKeys);
    case 'custom-columns': {
      const header = format.columns.map((c) => c.header);
      return lines(items.map((o) => customColumnsRow(format.columns, o)), header, options.header);
    }
    case 'table':
      return table(info, items, format.wide, options);
  }
}

function table(info: ResourceInfo, items: BerthObject[], wide: boolean, options: RenderOptions): string {
  const columns = COLUMNS[info.kind];
  if (!columns) throw new CliError(`no table format for ${info.kind}: use -o yaml`);
  const header = [...(options.allNamespaces ? ['NAMESPACE'] : []), ...columns.headers, ...(wide ? columns.wide : []), ...(options.showLabels ? ['LABELS'] : [])];
  const prefixName = options.kindPrefix === true && columns.headers[0] === 'NAME';
  const rows = items.map((o) => [
    ...(options.allNamespaces ? [o.metadata.namespace ?? ''] : []),
    ...(prefixName ? [qualifiedName(info, o), ...columns.row(o, options.now, wide).slice(1)] : columns.row(o, options.now, wide)),
    ...(wide ? columns.wideRow(o) : []),
    ...(options.showLabels ? [labelsText(o.metadata.labels)] : []),
  ]);
  return lines(rows, header, options.header);
}

/** qualifiedName is kubectl's resource/name form: `pod/web-1`, `deployment.apps/web`. */
function qualifiedName(info: ResourceInfo, object: BerthObject): string {
  return `${info.group ? `${info.singular}.${info.group}` : info.singular}/${object.metadata.name}`;
}

function lines(rows: string[][], header: string[], mode: RenderOptions['header']): string {
  const printed = mode === 'print' ? [header, ...rows] : rows;
  if (printed.length === 0) return '';
  return `${formatRows(printed, mode === 'measure' ? [header] : [])}\n`;
}

/** executeTemplate runs a jsonpath template; a failure reads as kubectl's "error executing jsonpath". */
function executeTemplate(path: JsonPath, data: unknown, allowMissingKeys: boolean): string {
  try {
    return path.execute(data, { allowMissingKeys });
  } catch (err) {
    if (!(err instanceof JsonPathError)) throw err;
    throw new CliError(
      `error executing jsonpath ${JSON.stringify(path.template)}: Error executing template: ${err.message}. Printing more information for debugging the template:\n` +
        `\ttemplate was:\n\t\t${path.template}\n\tobject given to jsonpath engine was:\n\t\t${JSON.stringify(data)}\n`,
    );
  }
}
