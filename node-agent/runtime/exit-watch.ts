/**
 * ExitWatches is used by BerthRuntime for Runtime.watchExit: telling a caller soon after a
 * container's init has ended, at a low and flat cost for hundreds of containers.
 *
 * - inotify on the container's state directory (<state root>/<id>/): berth-runtime's monitor
 *   renames `exit` into place once init has ended and its output is drained (the state format,
 *   see runtime-state-dir.ts), so the usual exit is heard at once, with its code recorded.
 * - One safety sweep for all watches every `sweepMs` (2 s): a look at /proc/<pid>/stat of each
 *   watched init, checked against its recorded start time so a recycled pid does not count.
 *   It hears what inotify cannot: a monitor killed by hand records nothing. No runtime command
 *   and no timer per container: with 100 containers that is 50 small /proc reads a second.
 *
 * The runtime owns the state directory's format, so only this module (and runtime-state-dir.ts)
 * reads it; callers learn of exits through the Runtime interface alone.
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { initRuns, readStateDir } from './runtime-state-dir.js';

/** One armed watch. */
interface Watch {
  /** Calls the caller's onExit while the watch is armed. */
  fire: () => void;
  /** Init as the state recorded it when the watch was armed; undefined when it had already ended (or is unknown). */
  init: { pid: number; pidStart: number } | undefined;
}

/** The safety sweep's period: how late an exit no record announces is heard at most. */
export const EXIT_SWEEP_MS = 2_000;

/** ExitWatches is used by BerthRuntime to keep every exit watch of one state root (see above). */
export class ExitWatches {
  private readonly watches = new Set<Watch>();
  private sweeper: NodeJS.Timeout | undefined;

  /** @param stateRoot berth-runtime's state root (its --root) */
  constructor(private readonly stateRoot: string, private readonly sweepMs = EXIT_SWEEP_MS) {}

  /** Runtime.watchExit: see its contract in runtime.ts. */
  watch(id: string, onExit: () => void): () => void {
    let armed = true;
    const w: Watch = { fire: () => armed && onExit(), init: undefined };
    let watcher: FSWatcher | undefined;
    // Armed before the state is read: an exit in between is heard by one or the other.
    try {
      watcher = watch(join(this.stateRoot, id), { persistent: false }, (_event, file) => {
        if (file === 'exit') w.fire();
      });
      watcher.on('error', () => {
        watcher?.close(); // the directory went away with the container; the sweep reports it
      });
    } catch {
      // No state directory: the id is unknown or already removed; reported below.
    }
    const read = readStateDir(this.stateRoot, id);
    if (read.kind === 'found' && read.state.status !== 'stopped') w.init = { pid: read.state.pid, pidStart: read.pidStart };
    // Ended (or unknown) before the watch was armed: said on the next turn, never inside watch().
    else if (read.kind !== 'unsupported') setImmediate(w.fire);
    this.watches.add(w);
    this.sweeper ??= setInterval(() => this.sweep(), this.sweepMs).unref();
    return () => {
      armed = false;
      watcher?.close();
      this.watches.delete(w);
      if (this.watches.size === 0) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    };
  }

  /** Calls every watch whose init is gone (or was never known: an unsupported state format, which only the binary reads). */
  private sweep(): void {
    for (const w of this.watches) if (w.init === undefined || !initRuns(w.init.pid, w.init.pidStart)) w.fire();
  }
}
