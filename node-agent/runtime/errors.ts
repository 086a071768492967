/**
 * Errors thrown by the runtime. Each has a stable `name` so callers (the sync loop, the
 * NodeAPI edge) can tell them apart without parsing messages; messages say what to do next.
 */

/** IllegalTransitionError is thrown when a container is asked to move between two states that do not connect. */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(`container cannot go from state '${from}' to state '${to}'`);
  }
}

/** ContainerNotFoundError is thrown when no container with the id exists under the runtime's root. */
export class ContainerNotFoundError extends Error {
  override readonly name = 'ContainerNotFoundError';
  constructor(readonly id: string) {
    super(`container '${id}' not found: list the containers to see which exist`);
  }
}

/** ContainerNotRunningError is thrown by exec when the container is not running (created, or exited). */
export class ContainerNotRunningError extends Error {
  override readonly name = 'ContainerNotRunningError';
  constructor(
    readonly id: string,
    readonly state: string,
  ) {
    super(`container '${id}' is ${state}, not running: exec needs a running container`);
  }
}

/** ExecFailedError is thrown by exec when the command could not be started in the container; it carries the reason. */
export class ExecFailedError extends Error {
  override readonly name = 'ExecFailedError';
  constructor(
    readonly id: string,
    readonly reason: string,
  ) {
    super(`cannot exec in container '${id}': ${reason}`);
  }
}

/** ContainerExistsError is thrown by create when the id is already taken. */
export class ContainerExistsError extends Error {
  override readonly name = 'ContainerExistsError';
  constructor(readonly id: string) {
    super(`container '${id}' already exists: remove it first or choose another id`);
  }
}

/**
 * UnsafeImageFileError is thrown when a file the agent reads from an image (/etc/passwd,
 * /etc/group) is not a regular file or is larger than the agent reads: a FIFO or a device
 * there would block the agent, a huge file would fill its memory.
 */
export class UnsafeImageFileError extends Error {
  override readonly name = 'UnsafeImageFileError';
  constructor(
    /** The path inside the image, e.g. `/etc/passwd`. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`the image's ${path} ${reason}; the agent reads it only as a regular file: fix the image`);
  }
}

/** InvalidSpecError is thrown when a container spec or image cannot be turned into a bundle. */
export class InvalidSpecError extends Error {
  override readonly name = 'InvalidSpecError';
  constructor(
    /** The field path, e.g. `resources.limits.memory`. */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`invalid container spec: ${field}: ${reason}`);
  }
}

/** ExecutableNotFoundError is thrown by create when the command does not exist in the image. */
export class ExecutableNotFoundError extends Error {
  override readonly name = 'ExecutableNotFoundError';
  constructor(
    readonly executable: string,
    readonly searchPath: string,
  ) {
    super(
      `executable '${executable}' not found in the image (searched PATH=${searchPath}): ` +
        'check the container command or the image',
    );
  }
}

/** RuntimeCommandError is thrown when the berth-runtime binary fails; it carries its stderr. */
export class RuntimeCommandError extends Error {
  override readonly name = 'RuntimeCommandError';
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    super(
      `berth-runtime ${args.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || 'no output'}`,
      options,
    );
  }
}

/** StopTimeoutError is thrown when a container has not exited even after SIGKILL to all its processes. */
export class StopTimeoutError extends Error {
  override readonly name = 'StopTimeoutError';
  constructor(
    readonly id: string,
    readonly waitedMs: number,
  ) {
    super(
      `container '${id}' still running ${waitedMs} ms after SIGKILL: a process may be stuck in ` +
        'uninterruptible sleep (D state); check its cgroup and retry stop',
    );
  }
}
