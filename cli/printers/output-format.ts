import { readFileSync } from 'node:fs';
import { CliError } from '../errors.js';
import { JsonPathSyntaxError } from '../jsonpath/errors.js';
import { JsonPath } from '../jsonpath/evaluate.js';
import type { CustomColumn } from './custom-columns.js';
import { parseCustomColumns } from './custom-columns.js';

/** OutputFormat is what `-o` asked `berth get` for. */
export type OutputFormat =
  | { kind: 'table'; wide: boolean }
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'name' }
  | { kind: 'jsonpath'; path: JsonPath }
  | { kind: 'custom-columns'; columns: CustomColumn[] };

const ALLOWED = ['custom-columns', 'json', 'jsonpath', 'jsonpath-file', 'name', 'wide', 'yaml'];

/**
 * parseOutputFormat reads `-o`: wide, json, yaml, name, `jsonpath=TEMPLATE`,
 * `jsonpath-file=FILE` or `custom-columns=SPEC`, with kubectl's messages for a bad one.
 */
export function parseOutputFormat(output: string | undefined): OutputFormat {
  // `-o=json` reaches commander as "=json"; kubectl's flag parser drops the "=".
  const text = output?.startsWith('=') ? output.slice(1) : output;
  if (text === undefined || text === '') return { kind: 'table', wide: false };
  if (text === 'wide') return { kind: 'table', wide: true };
  if (text === 'json' || text === 'yaml' || text === 'name') return { kind: text };
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  const value = eq < 0 ? '' : text.slice(eq + 1);
  if (name === 'custom-columns') return { kind: 'custom-columns', columns: parseCustomColumns(value) };
  if (name === 'jsonpath' || name === 'jsonpath-file') {
    if (value === '') throw new CliError('template format specified but no template given');
    const template = name === 'jsonpath' ? unquoted(value) : readTemplate(value);
    try {
      return { kind: 'jsonpath', path: JsonPath.parse(template) };
    } catch (err) {
      if (err instanceof JsonPathSyntaxError) throw new CliError(`error parsing jsonpath ${template}, ${err.message}`);
      throw err;
    }
  }
  throw new CliError(`unable to match a printer suitable for the output format "${text}", allowed formats are: ${ALLOWED.join(',')}`);
}

/**
 * unquoted drops one pair of quotes around a whole template (`'{.metadata.name}'`): they are the
 * shell quoting of kubectl's examples, which reach Berth when no shell removed them.
 */
function unquoted(template: string): string {
  const q = template[0];
  return template.length >= 2 && (q === "'" || q === '"') && template.endsWith(q) ? template.slice(1, -1) : template;
}

function readTemplate(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`error reading --template ${file}, ${(err as Error).message}`);
  }
}
