import pc from 'picocolors';
import type { ReplicaCounts, RolloutState } from './status.js';

/*
 * What `berth apply --wait` shows while it waits: on a terminal one line per Deployment,
 * redrawn in place (ANSI cursor-up and erase-line); elsewhere a plain line per change.
 */

/** ProgressRow is one Deployment being waited for: its name, its latest figures and state. */
export interface ProgressRow {
  /** e.g. deployment.apps/web */
  label: string;
  counts?: ReplicaCounts;
  state?: RolloutState;
  /** When it ended (ms): the elapsed time stops there. */
  endedAt?: number;
}

function figures(c: ReplicaCounts | undefined, separator = ', '): string {
  if (!c) return '';
  return [`${c.updated}/${c.desired} updated`, `${c.ready}/${c.desired} ready`, `${c.available}/${c.desired} available`].join(separator);
}

/** stepText is the row's current step in a few words. */
export function stepText(state: RolloutState | undefined): string {
  if (!state) return 'reading the deployment';
  if (state.kind === 'progressing') return state.step;
  if (state.kind === 'complete') return 'rolled out';
  // The row already names the Deployment: "deployment "web" exceeded ..." reads "failed: exceeded ...".
  return `failed: ${state.message.replace(/^deployment "[^"]*" /, '')}`;
}

/** plainLine is a row as one line for a log or a pipe: `deployment.apps/web: 1/3 updated, ...: step`. */
export function plainLine(row: ProgressRow): string {
  return [row.label, figures(row.counts), stepText(row.state)].filter((s) => s !== '').join(': ');
}

const MARKS = { progressing: '-', complete: 'ok', failed: 'x' } as const;

/**
 * terminalLine is a row as the live display shows it: a mark, the name padded to `width`, the
 * elapsed seconds, the figures and the step, cut to the terminal's `columns` (a wrapped line
 * would break the redraw), then coloured.
 */
export function terminalLine(row: ProgressRow, width: number, elapsedMs: number, columns: number, colors = pc): string {
  const kind = row.state?.kind ?? 'progressing';
  const mark = MARKS[kind].padEnd(3);
  const elapsed = `${Math.floor(elapsedMs / 1000)}s`.padStart(4);
  const text = `${mark}${row.label.padEnd(width)} ${elapsed}  ${figures(row.counts, ' ') || '-'}  ${stepText(row.state)}`;
  const cut = text.length > columns - 1 ? `${text.slice(0, Math.max(0, columns - 2))}…` : text;
  const paint = kind === 'complete' ? colors.green : kind === 'failed' ? colors.red : colors.yellow;
  return paint(cut);
}

/** ProgressDisplay is used to show the rows while their rollouts run; end() leaves the last state on screen. */
export interface ProgressDisplay {
  update(index: number, row: ProgressRow): void;
  end(): void;
}

/** PlainProgress prints a row's line whenever it changes (no escapes: for pipes, files and CI logs). */
export class PlainProgress implements ProgressDisplay {
  private readonly printed: string[] = [];
  constructor(private readonly write: (line: string) => void) {}

  update(index: number, row: ProgressRow): void {
    const line = plainLine(row);
    if (this.printed[index] === line) return;
    this.printed[index] = line;
    this.write(line);
  }

  end(): void {}
}

const ESC = '\x1b[';

/**
 * TerminalProgress redraws every row in place, once a second too so the elapsed times move. Its
 * rows are named by the short labels it was made with (the screen is narrow).
 */
export class TerminalProgress implements ProgressDisplay {
  private readonly rows: ProgressRow[];
  private drawn = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    labels: string[],
    private readonly out: { write(text: string): unknown; columns?: number },
    private readonly startedAt = Date.now(),
  ) {
    this.rows = labels.map((label) => ({ label }));
    this.draw();
    this.timer = setInterval(() => this.draw(), 1000);
  }

  update(index: number, row: ProgressRow): void {
    const before = this.rows[index];
    if (!before) return;
    this.rows[index] = { ...row, label: before.label, ...(row.state?.kind !== 'progressing' && row.state ? { endedAt: before.endedAt ?? Date.now() } : {}) };
    this.draw();
  }

  end(): void {
    clearInterval(this.timer);
    this.draw();
  }

  private draw(): void {
    const width = Math.max(...this.rows.map((r) => r.label.length));
    // A terminal that reports no size (0 columns) gets the classic 80.
    const columns = this.out.columns || 80;
    const now = Date.now();
    const up = this.drawn > 0 ? `${ESC}${this.drawn}A` : '';
    const lines = this.rows.map((r) => `\r${ESC}2K${terminalLine(r, width, (r.endedAt ?? now) - this.startedAt, columns)}\n`);
    this.out.write(up + lines.join(''));
    this.drawn = this.rows.length;
  }
}
