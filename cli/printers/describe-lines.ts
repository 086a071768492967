/** The layout of `describe` output: kubectl's key column, indentation and time format. */

/** Annotations that describe hides, as kubectl hides its own last-applied annotation. */
const HIDDEN_ANNOTATIONS = new Set(['berth.dev/last-applied-configuration']);

/** Width of describe's key column; a longer top-level key widens it for every top-level line, as kubectl's tabwriter does. */
const KEY_WIDTH = 24;

type Line = { text: string } | { indent: number; key: string; value: string };

/** Lines accumulates `Key:  value` lines with kubectl describe's alignment and indentation. */
export class Lines {
  private readonly out: Line[] = [];
  field(key: string, value: string | number | undefined, indent = 0): void {
    this.out.push({ indent, key: `${key}:`, value: value === undefined || value === '' ? '<none>' : String(value) });
  }
  map(key: string, values: Record<string, string> | undefined, indent = 0): void {
    const entries = Object.entries(values ?? {}).filter(([k]) => !HIDDEN_ANNOTATIONS.has(k));
    if (entries.length === 0) return this.field(key, '<none>', indent);
    // Continuation lines have an empty key: they line up under the first value.
    entries.forEach(([k, v], i) => this.out.push({ indent, key: i === 0 ? `${key}:` : '', value: `${k}=${v}` }));
  }
  line(text: string): void {
    this.out.push({ text });
  }
  toString(): string {
    const topWidth = Math.max(KEY_WIDTH, ...this.out.map((l) => ('key' in l && l.indent === 0 ? l.key.length + 2 : 0)));
    let lastKeyWidth = KEY_WIDTH;
    return this.out
      .map((l) => {
        if ('text' in l) return l.text;
        if (l.key !== '') lastKeyWidth = l.indent === 0 ? topWidth : Math.max(KEY_WIDTH - l.indent, l.key.length + 1);
        return `${' '.repeat(l.indent)}${l.key.padEnd(lastKeyWidth)}${l.value}`;
      })
      .join('\n');
  }
}

/** timestamp is how describe prints a time: RFC 1123 with a numeric zone, as kubectl. */
export function timestamp(ts: string | undefined): string {
  return ts ? new Date(ts).toUTCString().replace('GMT', '+0000') : '<unknown>';
}



/** indentBlock indents every line of a block (a table) by two spaces. */
export function indentBlock(text: string): string {
  return text.split('\n').map((line) => `  ${line}`).join('\n');
}

