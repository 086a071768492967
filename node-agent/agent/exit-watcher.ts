import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/**
 * ExitWatcher is used to learn at once that a container's process has ended, without polling
 * the runtime on a fast timer: berth-runtime's monitor records the exit as a file in the
 * container's state directory (<runtime root>/state/<id>/exit, renamed into place), and an
 * inotify watch on that directory fires on that rename. A slow safety timer (every 2 s) covers
 * what inotify cannot see (a monitor killed by hand records nothing).
 * TODO(runtime): this knows berth-runtime's state layout; a Runtime.watchExit() (inotify or
 * pidfd) in node-agent/runtime would own it instead.
 *
 * Lifecycle: watch(id, onChange) arms one watch per container; the function it returns disarms
 * it. onChange may fire more than once and for changes that are not exits: callers re-inspect.
 */
export class ExitWatcher {
  constructor(private readonly runtimeRoot: string, private readonly safetyIntervalMs = 2_000) {}

  watch(id: string, onChange: () => void): () => void {
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(join(this.runtimeRoot, 'state', id), { persistent: false }, (_event, file) => {
        if (file === null || file === 'exit') onChange();
      });
      watcher.on('error', () => watcher?.close());
    } catch {
      // The state directory is gone (the container was removed): the safety timer reports it.
    }
    const timer = setInterval(onChange, this.safetyIntervalMs);
    timer.unref();
    return () => {
      watcher?.close();
      clearInterval(timer);
    };
  }
}
