import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/**
 * ExitWatcher is used to learn at once that a container's process has ended, without polling
 * the runtime on a fast timer: berth-runtime's monitor records the exit as a file in the
 * container's state directory (<runtime root>/state/<id>/exit, renamed into place), and an
 * inotify watch on that directory fires on that rename. A slow safety timer (every 2 s) covers
 * what inotify cannot see (a monitor killed by hand records nothing). Given the container's
 * pid, the timer only fires once that process is gone: a look at /proc instead of a runtime
 * command per container every 2 s (with 100 pods that was 50 `berth-runtime state` runs a second).
 * It relies on berth-runtime's on-disk state format (version 1, documented in
 * node-agent/native/runtime/state.c). TODO(runtime): a Runtime.watchExit() (inotify or pidfd)
 * in node-agent/runtime would own that knowledge instead.
 *
 * Lifecycle: watch(id, onChange) arms one watch per container; the function it returns disarms
 * it. onChange may fire more than once and for changes that are not exits: callers re-inspect.
 */
export class ExitWatcher {
  constructor(private readonly runtimeRoot: string, private readonly safetyIntervalMs = 2_000) {}

  watch(id: string, onChange: () => void, pid?: number): () => void {
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(join(this.runtimeRoot, 'state', id), { persistent: false }, (_event, file) => {
        if (file === null || file === 'exit') onChange();
      });
      watcher.on('error', () => watcher?.close());
    } catch {
      // The state directory is gone (the container was removed): the safety timer reports it.
    }
    // A container that exits at once may have recorded its exit before the watch was armed: look once now.
    if (existsSync(join(this.runtimeRoot, 'state', id, 'exit')) || (pid !== undefined && !processRuns(pid))) setImmediate(onChange);
    const timer = setInterval(() => {
      if (pid === undefined || !processRuns(pid)) onChange();
    }, this.safetyIntervalMs);
    timer.unref();
    return () => {
      watcher?.close();
      clearInterval(timer);
    };
  }
}

/** processRuns: the process exists and is not a zombie (an orphaned init may stay one: not every PID 1 reaps). */
function processRuns(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
