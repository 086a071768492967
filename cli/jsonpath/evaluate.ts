import { compare } from './compare.js';
import { JsonPathError } from './errors.js';
import { FloatLiteral, goText } from './go-text.js';
import { parseTemplate } from './parse.js';
import type { JsonPathNode, ListNode, SliceParam } from './parse.js';

/*
 * The evaluator of kubectl's JSONPath templates (its jsonpath package in client-go), over decoded
 * JSON. Each step maps the current values to new ones; a template prints, per top-level node,
 * its values separated by spaces. Deliberate differences, where kubectl's behaviour is an
 * accident of Go: map wildcards and `..` keep the object's key order (Go's is random); `*` and
 * `..` do not descend into the bytes of strings.
 */

/** EvaluateOptions: allowMissingKeys is kubectl's --allow-missing-template-keys (true by default). */
export interface EvaluateOptions {
  allowMissingKeys: boolean;
}

type JsonObject = { [key: string]: unknown };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof FloatLiteral);
}

/** goTypeName is the Go type kubectl would name in an error about a decoded JSON value. */
function goTypeName(v: unknown): string {
  if (isObject(v)) return 'map[string]interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (v instanceof FloatLiteral) return 'float64';
  return 'interface {}';
}

/** JsonPath is a parsed template, ready to run on objects. */
export class JsonPath {
  private constructor(readonly template: string, private readonly nodes: JsonPathNode[]) {}

  /** parse reads a template; a syntax error throws JsonPathSyntaxError with kubectl's message. */
  static parse(template: string): JsonPath {
    return new JsonPath(template, parseTemplate(template));
  }

  /** findResults is the values of each top-level node, `range` blocks repeated per item. */
  findResults(data: unknown, options: EvaluateOptions): unknown[][] {
    return new Evaluation(options).run(this.nodes, data);
  }

  /** execute is the text the template prints for `data`, as `kubectl -o jsonpath` prints it. */
  execute(data: unknown, options: EvaluateOptions): string {
    return this.findResults(data, options).map((values) => values.map(goText).join(' ')).join('');
  }
}

function hasIdentifier(node: JsonPathNode, name: string): boolean {
  return node.type === 'list' && node.nodes.some((n) => n.type === 'identifier' && n.name === name);
}

class Evaluation {
  constructor(private readonly options: EvaluateOptions) {}

  run(nodes: JsonPathNode[], data: unknown): unknown[][] {
    const out: unknown[][] = [];
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i] as JsonPathNode;
      if (hasIdentifier(node, 'end')) throw new JsonPathError('not in range, nothing to end');
      if (!hasIdentifier(node, 'range')) {
        out.push(this.walk([data], node));
        continue;
      }
      const end = matchingEnd(nodes, i);
      const body = nodes.slice(i + 1, end);
      for (const item of this.walk([data], node)) out.push(...this.run(body, item));
      i = end;
    }
    return out;
  }

  private walk(input: unknown[], node: JsonPathNode): unknown[] {
    switch (node.type) {
      case 'list':
        return this.list(input, node);
      case 'text':
        return [node.text];
      case 'field':
        return this.field(input, node.name);
      case 'array':
        return this.array(input, node.params);
      case 'filter':
        return this.filter(input, node.left, node.right, node.operator);
      case 'int':
      case 'bool':
        return input.map(() => node.value);
      case 'float':
        return input.map(() => new FloatLiteral(node.value));
      case 'wildcard':
        return input.flatMap((v) => (isObject(v) ? Object.values(v) : Array.isArray(v) ? v : []));
      case 'recursive':
        return this.recursive(input);
      case 'union':
        return node.nodes.flatMap((n) => this.list(input, n));
      case 'identifier':
        if (node.name === 'range') return input;
        if (node.name === 'end') throw new JsonPathError('not in range, nothing to end');
        throw new JsonPathError(`unrecognized identifier ${node.name}`);
    }
  }

  private list(input: unknown[], node: ListNode): unknown[] {
    let values = input;
    for (const n of node.nodes) values = this.walk(values, n);
    return values;
  }

  private field(input: unknown[], name: string): unknown[] {
    if (input.length === 0) return [];
    const out: unknown[] = [];
    for (const v of input) if (isObject(v) && Object.prototype.hasOwnProperty.call(v, name)) out.push(v[name]);
    if (out.length === 0 && !this.options.allowMissingKeys) throw new JsonPathError(`${name} is not found`);
    return out;
  }

  /** array is kubectl's evalArray: an index or slice, negative from the end, bounds checked even with missing keys allowed. */
  private array(input: unknown[], params: [SliceParam, SliceParam, SliceParam]): unknown[] {
    const out: unknown[] = [];
    for (const v of input) {
      if (v === null || v === undefined) continue;
      if (!Array.isArray(v)) throw new JsonPathError(`${goTypeName(v)} is not array or slice`);
      const len = v.length;
      let start = params[0].known ? params[0].value : 0;
      if (start < 0) start += len;
      let end = params[1].known ? params[1].value : len;
      if (end < 0 || (end === 0 && params[1].derived)) end += len;
      if (start === end) continue;
      if (start >= len || start < 0) throw new JsonPathError(`array index out of bounds: index ${start}, length ${len}`);
      if (end > len || end < 0) throw new JsonPathError(`array index out of bounds: index ${end - 1}, length ${len}`);
      if (start > end) throw new JsonPathError(`starting index ${start} is greater than ending index ${end}`);
      let step = 1;
      if (params[2].known) {
        if (params[2].value <= 0) throw new JsonPathError('step must be > 0');
        step = params[2].value;
      }
      for (let i = start; i < end; i += step) out.push(v[i]);
    }
    return out;
  }

  /** filter is `[?(@.k OP value)]`, or `[?(@.k)]` (the element has k). */
  private filter(input: unknown[], left: ListNode, right: ListNode, operator: string): unknown[] {
    const out: unknown[] = [];
    for (const v of input) {
      if (!Array.isArray(v)) throw new JsonPathError(`${v === null || v === undefined ? '<invalid reflect.Value>' : goText(v)} is not array or slice and cannot be filtered`);
      for (const element of v) {
        if (operator === 'exists') {
          let found: unknown[] = [];
          try {
            found = this.list([element], left);
          } catch {
            // kubectl ignores a failed lookup here: the element just does not have the field.
          }
          if (found.length > 0) out.push(element);
          continue;
        }
        const lefts = this.list([element], left);
        if (lefts.length === 0) continue;
        if (lefts.length > 1) throw new JsonPathError('can only compare one element at a time');
        const rights = this.list([element], right);
        if (rights.length === 0) continue;
        if (rights.length > 1) throw new JsonPathError('can only compare one element at a time');
        if (compare(lefts[0], operator, rights[0])) out.push(element);
      }
    }
    return out;
  }

  /** recursive is `..`: every object and list under the input, each before what it holds. */
  private recursive(input: unknown[]): unknown[] {
    const out: unknown[] = [];
    for (const v of input) {
      const children = isObject(v) ? Object.values(v) : Array.isArray(v) ? v : [];
      if (children.length === 0) continue;
      out.push(v, ...this.recursive(children));
    }
    return out;
  }
}

/** matchingEnd is the index of the `{end}` closing the `{range}` at `start` (the end of the template if none). */
function matchingEnd(nodes: JsonPathNode[], start: number): number {
  let depth = 0;
  for (let i = start + 1; i < nodes.length; i++) {
    const node = nodes[i] as JsonPathNode;
    if (hasIdentifier(node, 'range')) depth++;
    else if (hasIdentifier(node, 'end')) {
      if (depth === 0) return i;
      depth--;
    }
  }
  return nodes.length;
}
