import { JsonPathSyntaxError } from './errors.js';
import { unquote } from './unquote.js';

/*
 * The parser of kubectl's JSONPath templates (`-o jsonpath=...`, custom-columns): literal text
 * with `{...}` actions. It follows the grammar of kubectl's jsonpath package (in client-go),
 * which is not the JSONPath RFC: fields need a leading dot (`{.metadata.name}`), `range`/`end`
 * repeat a part of the template, quoted strings are literals, `[?(@.k=="v")]` filters, `..`
 * descends. Error messages are kubectl's.
 */

/** ListNode is a sequence of steps applied one after the other (one `{...}` action). */
export interface ListNode {
  type: 'list';
  nodes: JsonPathNode[];
}

/** SliceParam is one of `[start:end:step]`; `derived` marks an end computed from a single index. */
export interface SliceParam {
  value: number;
  known: boolean;
  derived: boolean;
}

/** JsonPathNode is one step of a template, as kubectl's parser produces it. */
export type JsonPathNode =
  | ListNode
  | { type: 'text'; text: string }
  | { type: 'field'; name: string }
  | { type: 'array'; params: [SliceParam, SliceParam, SliceParam] }
  | { type: 'filter'; left: ListNode; right: ListNode; operator: string }
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'wildcard' }
  | { type: 'recursive' }
  | { type: 'union'; nodes: ListNode[] }
  | { type: 'identifier'; name: string };

const EOF = -1;
const SLICE = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/;
const DICT_KEY = /^'([^']*)'$/;
const FILTER = /^([^!<>=]+)([!<>=]+)(.+?)$/;

/** parseTemplate reads a whole template into its top-level nodes: text and `{...}` lists. */
export function parseTemplate(text: string): JsonPathNode[] {
  return new Parser(text).parse().nodes;
}

/** parseAction reads `text` as the inside of one `{...}` (filters and unions are made of these). */
function parseAction(text: string): ListNode {
  const root = new Parser(`{${text}}`).parse();
  return root.nodes[0] as ListNode;
}

class Parser {
  private pos = 0;
  private start = 0;
  private width = 0;
  private readonly root: ListNode = { type: 'list', nodes: [] };

  constructor(private readonly input: string) {}

  parse(): ListNode {
    this.parseText();
    return this.root;
  }

  private consume(): string {
    const value = this.input.slice(this.start, this.pos);
    this.start = this.pos;
    return value;
  }

  private next(): number {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return EOF;
    }
    const r = this.input.codePointAt(this.pos) as number;
    this.width = r > 0xffff ? 2 : 1;
    this.pos += this.width;
    return r;
  }

  private peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  private backup(): void {
    this.pos -= this.width;
  }

  private rest(): string {
    return this.input.slice(this.pos);
  }

  private parseText(): void {
    for (;;) {
      if (this.rest().startsWith('{')) {
        if (this.pos > this.start) this.root.nodes.push({ type: 'text', text: this.consume() });
        this.pos += 1;
        this.consume();
        const list: ListNode = { type: 'list', nodes: [] };
        this.root.nodes.push(list);
        this.parseInsideAction(list);
        return;
      }
      if (this.next() === EOF) break;
    }
    if (this.pos > this.start) this.root.nodes.push({ type: 'text', text: this.consume() });
  }

  private parseInsideAction(cur: ListNode): void {
    const rest = this.rest();
    if (rest.startsWith('}')) {
      this.pos += 1;
      this.consume();
      this.parseText();
      return;
    }
    if (rest.startsWith('[?(')) return this.parseFilter(cur);
    if (rest.startsWith('..')) return this.parseRecursive(cur);
    const r = this.next();
    const c = r === EOF ? '' : String.fromCodePoint(r);
    if (r === EOF || c === '\r' || c === '\n') throw new JsonPathSyntaxError('unclosed action');
    if (c === ' ' || c === '@' || c === '$') {
      // Spaces separate steps; @ and $ name the current object, which is where evaluation is anyway.
      this.consume();
      return this.parseInsideAction(cur);
    }
    if (c === '[') return this.parseArray(cur);
    if (c === '"' || c === "'") return this.parseQuote(cur, c);
    if (c === '.') return this.parseField(cur);
    if (c === '+' || c === '-' || isDigit(c)) {
      this.backup();
      return this.parseNumber(cur);
    }
    if (isAlphaNumeric(c)) {
      this.backup();
      return this.parseIdentifier(cur);
    }
    throw new JsonPathSyntaxError(`unrecognized character in action: ${goRuneName(r)}`);
  }

  private parseIdentifier(cur: ListNode): void {
    while (!isTerminator(this.next()));
    this.backup();
    const value = this.consume();
    cur.nodes.push(value === 'true' || value === 'false' ? { type: 'bool', value: value === 'true' } : { type: 'identifier', name: value });
    this.parseInsideAction(cur);
  }

  private parseRecursive(cur: ListNode): void {
    if (cur.nodes[cur.nodes.length - 1]?.type === 'recursive') throw new JsonPathSyntaxError('invalid multiple recursive descent');
    this.pos += 2;
    this.consume();
    cur.nodes.push({ type: 'recursive' });
    const r = this.peek();
    if (r !== EOF && isAlphaNumeric(String.fromCodePoint(r))) return this.parseField(cur);
    this.parseInsideAction(cur);
  }

  private parseNumber(cur: ListNode): void {
    const first = this.peek();
    if (first === 0x2b || first === 0x2d) this.next();
    for (;;) {
      const r = this.next();
      if (r === EOF || (r !== 0x2e && !isDigit(String.fromCodePoint(r)))) {
        this.backup();
        break;
      }
    }
    const text = this.consume();
    if (/^[+-]?\d+$/.test(text)) cur.nodes.push({ type: 'int', value: Number(text) });
    else if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) cur.nodes.push({ type: 'float', value: Number(text) });
    else throw new JsonPathSyntaxError(`cannot parse number ${text}`);
    this.parseInsideAction(cur);
  }

  private parseArray(cur: ListNode): void {
    for (;;) {
      const r = this.next();
      if (r === EOF || r === 0x0a) throw new JsonPathSyntaxError('unterminated array');
      if (r === 0x5d) break;
    }
    let text = this.consume().slice(1, -1);
    if (text === '*') text = ':';

    const parts = text.split(',');
    if (parts.length > 1) {
      cur.nodes.push({ type: 'union', nodes: parts.map((p) => parseAction(`[${p.trim()}]`)) });
      return this.parseInsideAction(cur);
    }
    const key = DICT_KEY.exec(text);
    if (key) {
      // As in kubectl, ['a.b'] is the path .a.b; a key with dots is written with escaped dots (.a\.b).
      cur.nodes.push(...parseAction(`.${key[1] as string}`).nodes);
      return this.parseInsideAction(cur);
    }
    const m = SLICE.exec(text);
    if (!m) throw new JsonPathSyntaxError(`invalid array index ${text}`);
    const params: SliceParam[] = [];
    for (let i = 0; i < 3; i++) {
      let raw = m[i + 1] ?? '';
      if (raw !== '') {
        if (i > 0) raw = raw.slice(1);
        if (i > 0 && raw === '') params.push({ value: 0, known: false, derived: false });
        else if (/^-?\d+$/.test(raw)) params.push({ value: Number(raw), known: true, derived: false });
        else throw new JsonPathSyntaxError(`array index ${raw} is not a number`);
      } else if (i === 1) {
        params.push({ value: (params[0] as SliceParam).value + 1, known: true, derived: true });
      } else {
        params.push({ value: 0, known: false, derived: false });
      }
    }
    cur.nodes.push({ type: 'array', params: params as [SliceParam, SliceParam, SliceParam] });
    this.parseInsideAction(cur);
  }

  private parseFilter(cur: ListNode): void {
    this.pos += 3;
    this.consume();
    let begin = false;
    let end = false;
    let pair = '';
    for (;;) {
      const r = this.next();
      if (r === EOF || r === 0x0a) throw new JsonPathSyntaxError('unterminated filter');
      const c = String.fromCodePoint(r);
      if (c === '"' || c === "'") {
        if (!begin) {
          begin = true;
          pair = c;
          continue;
        }
        if (this.input[this.pos - 2] !== '\\' && c === pair) end = true;
      } else if (c === ')' && begin === end) {
        break;
      }
    }
    if (this.next() !== 0x5d) throw new JsonPathSyntaxError('unclosed array expect ]');
    const text = this.consume().slice(0, -2);
    const m = FILTER.exec(text);
    if (!m) cur.nodes.push({ type: 'filter', left: parseAction(text), right: { type: 'list', nodes: [] }, operator: 'exists' });
    else cur.nodes.push({ type: 'filter', left: parseAction(m[1] as string), right: parseAction(m[3] as string), operator: m[2] as string });
    this.parseInsideAction(cur);
  }

  private parseQuote(cur: ListNode, quote: string): void {
    for (;;) {
      const r = this.next();
      if (r === EOF || r === 0x0a) throw new JsonPathSyntaxError('unterminated quoted string');
      if (String.fromCodePoint(r) === quote && this.input[this.pos - 2] !== '\\') break;
    }
    const value = this.consume();
    try {
      cur.nodes.push({ type: 'text', text: unquote(value) });
    } catch (err) {
      throw new JsonPathSyntaxError(`unquote string ${value} error ${(err as Error).message}`);
    }
    this.parseInsideAction(cur);
  }

  private parseField(cur: ListNode): void {
    this.consume();
    for (;;) {
      const r = this.next();
      if (r === 0x5c) this.next();
      else if (isTerminator(r)) {
        this.backup();
        break;
      }
    }
    const value = this.consume();
    cur.nodes.push(value === '*' ? { type: 'wildcard' } : { type: 'field', name: value.replace(/\\/g, '') });
    this.parseInsideAction(cur);
  }
}

function isDigit(c: string): boolean {
  return /^\p{Nd}$/u.test(c);
}

function isAlphaNumeric(c: string): boolean {
  return c === '_' || /^[\p{L}\p{Nd}]$/u.test(c);
}

function isTerminator(r: number): boolean {
  return r === EOF || ' \t\r\n.,[]$@{}'.includes(String.fromCodePoint(r));
}

/** goRuneName is Go's %#U: `U+0023 '#'`. */
function goRuneName(r: number): string {
  const hex = r.toString(16).toUpperCase().padStart(4, '0');
  const c = String.fromCodePoint(r);
  return /^\P{C}$/u.test(c) ? `U+${hex} '${c}'` : `U+${hex}`;
}
