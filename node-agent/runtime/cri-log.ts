/**
 * Reading a container log in the CRI format the monitor writes, one line per record:
 *   `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`
 * P marks a partial record (the line was longer than the monitor's buffer); the records up
 * to the next F of the same stream make one line. Readers here join them back.
 */
import { open } from 'node:fs/promises';
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

/** Reads the log at `path` as whole lines; a missing file has no lines (yet). */
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

  let offset = 0;
  // Only the first pass over what is already written is cut to the last `tail` lines.
  let tail = options.tail;
  const buffer = Buffer.alloc(64 * 1024);
  // Held open from the first pass that finds the file to the end: a container removed right
  // after its exit takes its log file along, and an open descriptor still reads the last lines.
  let file: FileHandle | undefined;
  try {
    for (;;) {
      if (options.signal?.aborted) return;
      // Asked before reading, so that lines written just before the exit are still read below.
      const finished = options.follow ? await (options.isFinished?.() ?? Promise.resolve(true)) : true;
      const kept: LogEntry[] = [];
      file ??= await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (file) {
        for (;;) {
          const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          for (const entry of toEntries(buffer.subarray(0, bytesRead))) {
            if (options.signal?.aborted) return;
            if (tail === undefined) yield entry;
            else if (tail > 0 && kept.push(entry) > tail) kept.shift();
          }
        }
      }
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
    await file?.close();
  }
}
