import type { ContainerSpec, ImageForContainer, PodOptions } from './container-spec.js';
import type { LogEntry } from './cri-log.js';
import { IllegalTransitionError } from './errors.js';

/**
 * A Runtime is used by the node agent to run the containers of the pods bound to its node.
 *
 * Vocabulary
 * - container: one process tree started from an image, isolated by namespaces, limited by a
 *   cgroup, with its own overlay rootfs. A container is named by its `id`, unique on the node.
 * - bundle: the OCI runtime bundle the runtime writes for a container (config.json + rootfs/),
 *   so that any OCI runtime (berth-runtime, crun, runc) could run it.
 * - init: the container's first process (pid 1 in its pid namespace); the container runs as
 *   long as init does.
 * - monitor: the small process that holds the container's stdio, writes its log and records
 *   its exit. It is detached from the agent, so containers outlive an agent restart.
 * - state: where the container is in its lifecycle, see {@link ContainerState}.
 *
 * Lifecycle
 * 1. `create(request)` resolves the image and the Kubernetes-shaped container spec into a
 *    bundle, mounts the rootfs and creates the namespaces and cgroup. Init exists but has not
 *    executed the user's command yet. State: `created`. On failure nothing is left behind.
 * 2. `start(id)` lets init execute the command. State: `running`.
 * 3. The process ends on its own, or `stop(id, gracePeriodMs)` sends SIGTERM (or the image's
 *    STOPSIGNAL) to init and, once the grace period has passed, SIGKILL to every process of
 *    the container. Either way the state becomes `exited`, with `exitCode`, `finishedAt` and
 *    `oomKilled` recorded. `waitForExit(id)` resolves at that moment; `watchExit(id, onExit)`
 *    calls back a caller who must not wait (the node agent, with a hundred containers).
 * 4. `remove(id)` deletes the container: its processes (only with `force` when still
 *    running), cgroup, mounts, bundle, log and state. State: `removed`; the id may be reused.
 *
 * At any point `inspect`, `list` and `logs` observe without changing anything. A new
 * Runtime over the same root (an agent restart) sees and manages the containers an earlier
 * one created: the state lives on disk, never only in memory.
 */
export interface Runtime {
  /** Creates a container in state `created`. Rejects with ContainerExistsError for a used id. */
  create(request: CreateContainerRequest): Promise<ContainerStatus>;
  /** Starts a `created` container; rejects with IllegalTransitionError from any other state. */
  start(id: string): Promise<ContainerStatus>;
  /**
   * create then start in one step, for a caller with nothing to do in between (cheaper: one
   * low-level command instead of two). Same errors and the same undo as create: on failure
   * nothing is left behind. Resolves `running` (or `exited` when the command already ended).
   */
  createAndStart(request: CreateContainerRequest): Promise<ContainerStatus>;
  /**
   * Stops a container and resolves once it has exited: SIGTERM (or the image's STOPSIGNAL) to init, then after
   * `gracePeriodMs` SIGKILL to all its processes. Stopping an exited container is a no-op.
   */
  stop(id: string, gracePeriodMs: number): Promise<ContainerStatus>;
  /** Removes a container and everything it owns. A running one needs `force` (stops it at once). */
  remove(id: string, options?: RemoveOptions): Promise<void>;
  /** The current status of one container; rejects with ContainerNotFoundError. */
  inspect(id: string): Promise<ContainerStatus>;
  /** The status of every container under this runtime's root, in no particular order. */
  list(): Promise<ContainerStatus[]>;
  /** The container's output, one entry per line; with `follow` it ends when the container has exited. */
  logs(id: string, options?: LogOptions): AsyncIterable<LogEntry>;
  /** Resolves with the final status once the container has exited (at once if it already has). */
  waitForExit(id: string, options?: WaitOptions): Promise<ContainerStatus>;
  /**
   * Watches container `id` for the end of its init, so that a caller hears of it without
   * polling. Lifecycle of a watch:
   * 1. Armed by this call, on a container in any state.
   * 2. `onExit` is called once init has ended: on its own, killed (by stop or by anyone), or
   *    before the watch was armed. Never inside watchExit (at the earliest on the next turn of
   *    the event loop), never while init is seen running, and within a few seconds at most
   *    (BerthRuntime: at once when the monitor records the exit, 2 s when nothing records it).
   *    It may be called again while the watch stays armed, and the exit code may not be recorded
   *    yet at the first call: callers `inspect` to see what happened. An id the runtime does not
   *    know is reported as ended.
   * 3. Disarmed by the function it returns: no call after that returns. A watch does not end by
   *    itself, also not when the container is removed: disarm each one once done.
   * Watches hold no process and run no runtime command: hundreds may be armed at once.
   */
  watchExit(id: string, onExit: () => void): () => void;
}

/**
 * ContainerState is used to say where a container is in its lifecycle.
 * - `created`: bundle, rootfs, namespaces and cgroup exist; the command has not run yet.
 * - `running`: init is executing the command (or what it started).
 * - `exited`: init has ended; exit code and time are recorded; resources still exist.
 * - `removed`: nothing of the container remains. Only reported by the runtime's own
 *   bookkeeping, never by inspect (a removed container is not found).
 */
export type ContainerState = 'created' | 'running' | 'exited' | 'removed';

/** The moves allowed by {@link transition}, from each state. */
const allowedTransitions: Readonly<Record<ContainerState, readonly ContainerState[]>> = {
  // A created container may be killed before it ever starts; it then counts as exited.
  created: ['running', 'exited', 'removed'],
  running: ['exited'],
  // Removing a running container always goes through exited (stop first), so no process is orphaned.
  exited: ['removed'],
  removed: [],
};

/**
 * Returns `to` when a container may move from `from` to `to`, and throws
 * IllegalTransitionError naming both states otherwise. Staying in the same state is not a
 * move and is illegal too: callers that are idempotent (stop of an exited container) check
 * for that case before asking.
 */
export function transition(from: ContainerState, to: ContainerState): ContainerState {
  if (!allowedTransitions[from].includes(to)) throw new IllegalTransitionError(from, to);
  return to;
}

/** CreateContainerRequest is used to ask a Runtime for a new container. */
export interface CreateContainerRequest {
  /** The container id; generated when absent. Letters, digits, `_`, `.`, `-`; at most 128. */
  id?: string;
  /** The Kubernetes-shaped container spec (one entry of a pod's `spec.containers`). */
  container: ContainerSpec;
  /** The pulled image the container runs. */
  image: ImageForContainer;
  /** What the pod gives all its containers: hostname, network namespace, cgroup parent, mounts. */
  pod?: PodOptions;
  /** Free-form labels kept with the container and returned by inspect/list (e.g. pod uid). */
  labels?: Record<string, string>;
}

/** ContainerStatus is used to report what a container is and where it is in its lifecycle. */
export interface ContainerStatus {
  id: string;
  /** The container's name from its spec. */
  name: string;
  state: ContainerState;
  /** The image reference and digest it was created from. */
  image: string;
  imageDigest: string;
  labels: Record<string, string>;
  /** The host pid of init, while it exists. */
  pid?: number;
  /** Init's exit status once exited: its exit code, or 128 + the signal number that killed it (137 for SIGKILL). */
  exitCode?: number;
  /** True when the kernel's OOM killer ended a process of the container. */
  oomKilled: boolean;
  /** RFC 3339 times. */
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** The CRI-format log file the container's output goes to. */
  logPath: string;
  /** The bundle directory (config.json and rootfs/). */
  bundle: string;
}

/** RemoveOptions is used to tune remove(). */
export interface RemoveOptions {
  /** Kill a running container at once (no grace period) instead of refusing. */
  force?: boolean;
}

/** LogOptions is used to choose which of a container's output logs() returns. */
export interface LogOptions {
  /** Keep returning new lines as they are written, until the container has exited. */
  follow?: boolean;
  /** Start with only the last `tail` lines already written. */
  tail?: number;
  /** Ends a follow early (the iterator then finishes without error). */
  signal?: AbortSignal;
}

/** WaitOptions is used to bound waitForExit(). */
export interface WaitOptions {
  /** Rejects the wait with the signal's reason when aborted. */
  signal?: AbortSignal;
}
