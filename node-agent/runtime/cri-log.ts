/**
 * Reading a container log in the CRI format the monitor writes, one line per record:
 *   `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`
 * P marks a partial record (the line was longer than the monitor's buffer); the records up
 * to the next F of the same stream make one line. Readers here join them back.
 */
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** LogEntry is used for one line of a container's output. */
export interface LogEntry {
  /** RFC 3339 time the (last part of the) line was written. */
  time: string;
  stream: 'stdout' | 'stderr';
  /** The line without its newline. */
  text: string;
}

/** CriRecord is used for one record of the file, before partial records are joined. */
export interface CriRecord extends LogEntry {
  partial: boolean;
}

const recordPattern = /^(\S+) (stdout|stderr) ([FP])(?: (.*))?$/s;

/** Parses one record; undefined for a line that is not in the format (it is skipped). */
export function parseCriRecord(line: string): CriRecord | undefined {
  const match = recordPattern.exec(line);
  if (!match) return undefined;
  return { time: match[1] ?? '', stream: match[2] as 'stdout' | 'stderr', partial: match[3] === 'P', text: match[4] ?? '' };
}

/** LineAssembler is used to join partial records into whole lines, per stream. */
export class LineAssembler {
  private readonly pending = new Map<string, string>();

  /** Feeds one record; returns the finished line, if this record finished one. */
  push(record: CriRecord): LogEntry | undefined {
    const text = (this.pending.get(record.stream) ?? '') + record.text;
    if (record.partial) {
      this.pending.set(record.stream, text);
      return undefined;
    }
    this.pending.delete(record.stream);
    return { time: record.time, stream: record.stream, text };
  }
}

/** Splits bytes into complete lines; the bytes after the last newline are kept for later. */
class LineSplitter {
  private rest = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    const data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    const lines: string[] = [];
    let start = 0;
    for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
      lines.push(data.subarray(start, nl).toString('utf8'));
      start = nl + 1;
    }
    this.rest = Buffer.from(data.subarray(start));
    return lines;
  }
}

/** ReadLogOptions is used to choose what readCriLog returns. */
export interface ReadLogOptions {
  /** Only the last `tail` lines of what is already written. */
  tail?: number;
  /** Keep reading new lines until `isFinished()` says the writer is done. */
  follow?: boolean;
  /** For follow: resolves true once nothing more will be written (the container exited). */
  isFinished?: () => Promise<boolean>;
  /** Ends a follow early, without error. */
  signal?: AbortSignal;
  /** How often a follow looks for new data. */
  pollMs?: number;
}

/** One file of a log, held open: a rotation renames it, and its descriptor still reads it. */
interface LogFile {
  handle: FileHandle;
  ino: number;
  dev: number;
}

/** The most rotated files looked for: far more than any rotation keeps. */
const MAX_ROTATED_FILES = 1000;

async function openIfPresent(path: string): Promise<LogFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const { ino, dev } = await handle.stat();
  return { handle, ino, dev };
}

/**
 * The log at `path` and its rotated files (`path.1` newest … `path.N` oldest), oldest first.
 * Opened newest first: a rotation meanwhile only shifts files to higher numbers, so a file is
 * seen twice (dropped by inode) rather than missed. With `newerThan`, stops at that file: only
 * what was written after it is returned.
 */
async function openLogFiles(path: string, newerThan?: LogFile): Promise<LogFile[]> {
  const found: LogFile[] = [];
  try {
    for (let i = 0; i <= MAX_ROTATED_FILES; i++) {
      const file = await openIfPresent(i === 0 ? path : `${path}.${i}`);
      // The log itself is missing for a moment during a rotation; its rotated files are not.
      if (file === undefined && i === 0) continue;
      if (file === undefined) break;
      const seen = found.some((f) => f.ino === file.ino && f.dev === file.dev);
      const reached = newerThan !== undefined && file.ino === newerThan.ino && file.dev === newerThan.dev;
      if (seen || reached) await file.handle.close();
      if (reached) break;
      if (!seen) found.push(file);
    }
  } catch (err) {
    await Promise.all(found.map((f) => f.handle.close().catch(() => {})));
    throw err;
  }
  return found.reverse();
}

/** Whether `path` now names another file than `current`: the log was rotated. */
async function rotatedAway(path: string, current: LogFile): Promise<boolean> {
  try {
    const now = await stat(path);
    return now.ino !== current.ino || now.dev !== current.dev;
  } catch {
    // Gone with its container: what the descriptor holds is all there is.
    return false;
  }
}

/**
 * Reads the log at `path` as whole lines, the rotated files (path.N … path.1) first; a
 * missing log has no lines (yet). A follow goes on across rotations: when `path` names a new
 * file, the old one is read to its end (the writer rotates only between records), then the
 * files written since.
 */
export async function* readCriLog(path: string, options: ReadLogOptions = {}): AsyncGenerator<LogEntry> {
  const splitter = new LineSplitter();
  const assembler = new LineAssembler();
  const toEntries = (chunk: Buffer): LogEntry[] =>
    splitter
      .push(chunk)
      .map(parseCriRecord)
      .filter((r): r is CriRecord => r !== undefined)
      .map((r) => assembler.push(r))
      .filter((e): e is LogEntry => e !== undefined);

  const buffer = Buffer.alloc(64 * 1024);
  let offset = 0;
  // Reads `file` from `offset` to its current end.
  async function* drain(file: LogFile): AsyncGenerator<LogEntry> {
    for (;;) {
      const { bytesRead } = await file.handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) return;
      offset += bytesRead;
      yield* toEntries(buffer.subarray(0, bytesRead));
    }
  }
  // Reads every file but the last to its end and closes it; returns the last, read so far.
  async function* through(files: LogFile[]): AsyncGenerator<LogEntry, LogFile | undefined> {
    for (const [i, file] of files.entries()) {
      yield* drain(file);
      if (i === files.length - 1) return file;
      await file.handle.close();
      offset = 0;
    }
    return undefined;
  }

  // Only the first pass over what is already written is cut to the last `tail` lines.
  let tail = options.tail;
  // Held open from the first pass that finds the log to the end: a container removed right
  // after its exit takes its log files along, and an open descriptor still reads the last lines.
  let current: LogFile | undefined;
  let pending: LogFile[] = [];
  try {
    for (;;) {
      if (options.signal?.aborted) return;
      // Asked before reading, so that lines written just before the exit are still read below.
      const finished = options.follow ? await (options.isFinished?.() ?? Promise.resolve(true)) : true;
      const kept: LogEntry[] = [];
      if (current === undefined) pending = await openLogFiles(path);
      else if (await rotatedAway(path, current)) pending = [current, ...(await openLogFiles(path, current))];
      else pending = [current];
      const reading = through(pending);
      for (let r = await reading.next(); ; r = await reading.next()) {
        if (r.done) {
          current = r.value;
          break;
        }
        if (options.signal?.aborted) return;
        if (tail === undefined) yield r.value;
        else if (tail > 0 && kept.push(r.value) > tail) kept.shift();
      }
      pending = [];
      yield* kept;
      tail = undefined;
      if (finished) return;
      try {
        await sleep(options.pollMs ?? 100, undefined, options.signal ? { signal: options.signal } : {});
      } catch {
        return; // aborted
      }
    }
  } finally {
    const open = new Set([current, ...pending].filter((f): f is LogFile => f !== undefined));
    await Promise.all([...open].map((f) => f.handle.close().catch(() => {})));
  }
}
