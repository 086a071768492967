/** formatTable lays out rows the way kubectl does: upper-case headers, columns three spaces apart. */
export function formatTable(headers: string[], rows: string[][]): string {
  return formatRows([headers, ...rows]);
}

/** kubectl's tabwriter: a column is at least 6 wide including its 3 spaces of padding. */
const MIN_CELL = 3;

/**
 * formatRows aligns rows as kubectl's tabwriter does (each column as wide as its widest cell plus
 * three spaces, the last one unpadded). `measure` rows count for the widths but are not printed:
 * a watch prints later rows aligned to the header it printed first.
 */
export function formatRows(rows: string[][], measure: string[][] = []): string {
  const all = [...measure, ...rows];
  const columns = Math.max(0, ...all.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(MIN_CELL, ...all.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ').trimEnd();
  return rows.map(line).join('\n');
}
