import { CliError } from '../errors.js';
import { JsonPathSyntaxError } from '../jsonpath/errors.js';
import { JsonPath } from '../jsonpath/evaluate.js';
import { goSprint } from '../jsonpath/go-text.js';

/** CustomColumn is one `HEADER:.json.path` of `-o custom-columns=...`. */
export interface CustomColumn {
  header: string;
  path: JsonPath;
}

const RELAXED = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/;

/**
 * relaxedJsonPath is kubectl's RelaxedJSONPathExpression: a column may say `name1.name2`,
 * `.name1.name2`, `{name1.name2}` or `{.name1.name2}`; all mean the template `{.name1.name2}`.
 */
export function relaxedJsonPath(expression: string): string {
  if (expression === '') return '';
  const m = RELAXED.exec(expression);
  if (!m) throw new CliError("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'");
  return `{.${m[1] ?? m[2] ?? ''}}`;
}

/** parseCustomColumns reads `NAME:.metadata.name,NODE:.spec.nodeName` with kubectl's messages. */
export function parseCustomColumns(spec: string): CustomColumn[] {
  if (spec === '') throw new CliError('custom-columns format specified but no custom columns given');
  return spec.split(',').map((part) => {
    const colon = part.indexOf(':');
    if (colon < 0) throw new CliError(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
    const template = relaxedJsonPath(part.slice(colon + 1));
    try {
      return { header: part.slice(0, colon), path: JsonPath.parse(template) };
    } catch (err) {
      if (err instanceof JsonPathSyntaxError) throw new CliError(err.message);
      throw err;
    }
  });
}

/**
 * customColumnsRow is one object's cells: every value a column's path finds, printed as Go's
 * fmt.Sprint does and joined with commas, or `<none>` when it finds nothing.
 */
export function customColumnsRow(columns: CustomColumn[], object: unknown): string[] {
  return columns.map((column) => {
    const results = column.path.findResults(object, { allowMissingKeys: true });
    if (results.length === 0 || (results[0] as unknown[]).length === 0) return '<none>';
    return results.flat().map(goSprint).join(',');
  });
}
