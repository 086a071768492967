/**
 * BerthRuntime is the Runtime over the berth-runtime binary.
 *
 * Layout under `root` (directories 0700):
 *   state/                   berth-runtime's own state root (--root)
 *   containers/<id>/         the container's bundle and everything else it owns:
 *     config.json            the OCI spec (oci-bundle.ts)
 *     rootfs/ upper/ work/   the overlay root filesystem (rootfs.ts; l/ too for very many layers)
 *     berth-container.json   name, image, labels (container-meta.ts)
 *     container.log          written by berth-runtime's monitor (no pid file: the state has the pid)
 *
 * berth-runtime is run only for changes: create, start, run --detach (createAndStart), kill and
 * delete; every file the runtime makes per container costs an inode, which is why there are few. The state of a container is read from berth-runtime's state directory (format
 * version 1, a documented part of its contract: node-agent/native/runtime/state.c, read by
 * runtime-state-dir.ts), never with `berth-runtime state` or `list`: each command costs the
 * agent a fork of its whole process, and a container start used to ask for the state four to
 * five times. So createAndStart runs berth-runtime once, create + start twice. A state
 * directory in a format version this module does not know is read with `state`/`list` instead.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { markTopDir } from '../native/index.js';
import { BerthRuntimeCli, defaultBinaryPath, type LogRotation, type RuntimeState } from './berth-runtime-cli.js';
import { readMeta, writeMeta, type ContainerMeta } from './container-meta.js';
import { buildContainerSpec } from './container-spec-builder.js';
import { toStatus } from './container-status.js';
import { readCriLog, type LogEntry } from './cri-log.js';
import { ContainerExistsError, ContainerNotFoundError, ContainerNotRunningError, ExecFailedError, IllegalTransitionError, InvalidSpecError, StopTimeoutError } from './errors.js';
import { ExecStartError, startExec } from './exec-process.js';
import { KeyedLock } from './keyed-lock.js';
import { ExitWatches } from './exit-watch.js';
import { HostMounter, type Mounter } from './mounter.js';
import { defaultPidsLimit, writeOciSpec } from './oci-bundle.js';
import { Rootfs } from './rootfs.js';
import { listStateDir, readStateDir } from './runtime-state-dir.js';
import { transition, type ContainerStatus, type CreateContainerRequest, type ExecProcess, type ExecRequest, type LogOptions, type RemoveOptions, type Runtime, type WaitOptions } from './runtime.js';
import { UndoStack } from './undo.js';

/** BerthRuntimeOptions is used to configure a BerthRuntime. */
export interface BerthRuntimeOptions {
  /** The directory all containers and their state live under; created 0700 if missing. */
  root: string;
  /** The berth-runtime binary; by default the one node-gyp built in this repository. */
  binaryPath?: string;
  /** The cgroup parent for containers whose pod gives none. */
  defaultCgroupParent?: string;
  /** The most processes one container may have. */
  pidsLimit?: number;
  mounter?: Mounter;
  /** How often log follows look again (default 100 ms), and waits for an exit when no exit watch has spoken (default 1 s). */
  pollIntervalMs?: number;
  /** How long stop() waits after SIGKILL before it gives up with StopTimeoutError. */
  killTimeoutMs?: number;
  /** Rotation of every container's log (logs() reads across it); default 10 MiB × 5 files, as Kubernetes. */
  logRotation?: LogRotation;
}

/** Kubernetes' defaults: containerLogMaxSize 10Mi, containerLogMaxFiles 5. */
export const DEFAULT_LOG_ROTATION: LogRotation = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 };

/** How long an exit may stay unrecorded by the monitor before the runtime stops waiting for the record. */
const exitRecordGraceMs = 2_000;
/** How often a wait for an exit looks again when its exit watch stays silent. */
const EXIT_WAIT_FALLBACK_MS = 1_000;

/** wakeOrTimeout resolves after `ms`, when the function it hands to `arm` is called, or on abort (the caller checks the signal). */
function wakeOrTimeout(ms: number, arm: (wake: () => void) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    arm(done);
  });
}

const idPattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** BerthRuntime is used by the node agent to run containers with berth-runtime. */
export class BerthRuntime implements Runtime {
  readonly root: string;
  private readonly cli: BerthRuntimeCli;
  private readonly mounter: Mounter;
  private readonly lock = new KeyedLock();
  private readonly exits: ExitWatches;
  private rootReady: Promise<void> | undefined;

  constructor(private readonly options: BerthRuntimeOptions) {
    this.root = options.root;
    this.cli = new BerthRuntimeCli(options.binaryPath ?? defaultBinaryPath(), join(this.root, 'state'), options.logRotation ?? DEFAULT_LOG_ROTATION);
    this.mounter = options.mounter ?? new HostMounter();
    this.exits = new ExitWatches(this.cli.stateRoot);
  }

  create(request: CreateContainerRequest): Promise<ContainerStatus> {
    return this.createContainer(request, false);
  }

  createAndStart(request: CreateContainerRequest): Promise<ContainerStatus> {
    return this.createContainer(request, true);
  }

  /** create, and with `start` also start with the same command (berth-runtime run --detach). */
  private async createContainer(request: CreateContainerRequest, start: boolean): Promise<ContainerStatus> {
    const id = request.id ?? randomBytes(16).toString('hex');
    if (!idPattern.test(id)) throw new InvalidSpecError('id', `'${id}' is not a valid container id: use letters, digits, '_', '.', '-'`);
    await this.ensureRoot();
    return this.lock.run(id, async () => {
      const dir = this.bundleDir(id);
      try {
        await mkdir(dir, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ContainerExistsError(id);
        throw err;
      }
      const undo = new UndoStack();
      undo.push('remove the bundle directory', () => rm(dir, { recursive: true, force: true }));
      try {
        // Written first, so that a create cut short (the agent killed) leaves a container
        // that list() shows and remove() cleans, never an unknown directory with a mount.
        const meta: ContainerMeta = {
          id,
          name: request.container.name,
          image: request.image.reference,
          imageDigest: request.image.digest,
          labels: { ...request.labels },
          createdAt: new Date().toISOString(),
          stopSignal: request.image.config.config?.StopSignal || 'SIGTERM',
        };
        await writeMeta(dir, meta);
        const rootfs = new Rootfs(dir, this.mounter);
        const userns = request.pod?.userNamespace;
        // In a user namespace the image's layers are idmapped, so its files stay root's inside.
        await rootfs.mount(request.image.layerDirs, userns ? (target, at, layers) => this.cli.mountOverlay(userns, target, at, layers) : undefined);
        undo.push('unmount the rootfs', () => rootfs.unmountAndRemove());
        await writeOciSpec(dir, await buildContainerSpec(id, request, rootfs.target, { defaultCgroupParent: this.options.defaultCgroupParent ?? 'berth', pidsLimit: this.options.pidsLimit ?? defaultPidsLimit }));
        // berth-runtime state without a bundle here is a leftover of someone else: not ours to delete.
        if (await this.state(id)) throw new ContainerExistsError(id);
        // Pushed before the create: a create that fails half-way may leave its state behind.
        undo.push('delete the berth-runtime container', async () => {
          if (await this.state(id)) await this.cli.delete(id, true);
        });
        const logFile = join(dir, 'container.log');
        if (start) await this.cli.runDetached(id, dir, logFile);
        else await this.cli.create(id, dir, logFile);
        // create and run --detach return once state.json is written: the state is there to read.
        return toStatus(meta, dir, await this.state(id));
      } catch (err) {
        throw await undo.rollback(err);
      }
    });
  }

  async start(id: string): Promise<ContainerStatus> {
    return this.lock.run(id, async () => {
      const dir = this.bundleDir(id);
      const meta = await this.metaOf(id);
      transition(toStatus(meta, dir, await this.state(id)).state, 'running');
      await this.cli.start(id);
      return toStatus(meta, dir, await this.state(id));
    });
  }

  async stop(id: string, gracePeriodMs: number): Promise<ContainerStatus> {
    return this.lock.run(id, async () => {
      const status = await this.inspect(id);
      if (status.state === 'exited') return (await this.pollUntilExited(id, Date.now() + exitRecordGraceMs)) ?? status;
      transition(status.state, 'exited');
      if (status.state === 'running') {
        const meta = await readMeta(this.bundleDir(id));
        await this.signal(id, meta?.stopSignal ?? 'SIGTERM', false);
        const afterGrace = await this.pollUntilExited(id, Date.now() + gracePeriodMs);
        if (afterGrace) return afterGrace;
      }
      return this.killAll(id);
    });
  }

  async remove(id: string, options: RemoveOptions = {}): Promise<void> {
    await this.lock.run(id, async () => {
      let status: ContainerStatus;
      try {
        status = await this.inspect(id);
      } catch (err) {
        // No metadata: a create cut short by a crash. Forced removal clears whatever it left.
        if (!(err instanceof ContainerNotFoundError) || !options.force) throw err;
        await this.removeLeftovers(id);
        return;
      }
      if (status.state === 'running') {
        if (!options.force) throw new IllegalTransitionError(status.state, 'removed');
        status = await this.killAll(id);
      }
      transition(status.state, 'removed');
      const state = await this.state(id);
      if (state) await this.cli.delete(id, state.status !== 'stopped');
      await this.removeLeftovers(id);
    });
  }

  /**
   * removeLeftovers deletes what a container id may still hold: berth-runtime's state directory
   * (also one without state.json, from a monitor killed during create: only `delete --force`
   * clears that and its cgroup), the rootfs mount and the bundle directory.
   */
  private async removeLeftovers(id: string): Promise<void> {
    if (existsSync(join(this.cli.stateRoot, id))) await this.cli.delete(id, true);
    const dir = this.bundleDir(id);
    await new Rootfs(dir, this.mounter).unmountAndRemove();
    await rm(dir, { recursive: true, force: true });
  }

  async inspect(id: string): Promise<ContainerStatus> {
    return toStatus(await this.metaOf(id), this.bundleDir(id), await this.state(id));
  }

  async list(): Promise<ContainerStatus[]> {
    await this.ensureRoot();
    const listed = listStateDir(this.cli.stateRoot);
    const states = new Map((listed.kind === 'found' ? listed.states : await this.cli.list()).map((s) => [s.id, s]));
    const out: ContainerStatus[] = [];
    for (const id of await readdir(join(this.root, 'containers'))) {
      const dir = this.bundleDir(id);
      const meta = await readMeta(dir);
      if (meta) out.push(toStatus(meta, dir, states.get(id)));
    }
    return out;
  }

  async *logs(id: string, options: LogOptions = {}): AsyncGenerator<LogEntry> {
    const { logPath } = await this.inspect(id);
    // Finished once the exit is recorded: the monitor records it after draining the output.
    let exitedSince: number | undefined;
    const isFinished = async () => {
      let status: ContainerStatus;
      try {
        status = await this.inspect(id);
      } catch (err) {
        if (err instanceof ContainerNotFoundError) return true;
        throw err;
      }
      if (status.state !== 'exited') return false;
      exitedSince ??= Date.now();
      return status.exitCode !== undefined || Date.now() - exitedSince >= exitRecordGraceMs;
    };
    yield* readCriLog(logPath, { ...options, isFinished, pollMs: this.options.pollIntervalMs ?? 100 });
  }

  async waitForExit(id: string, options: WaitOptions = {}): Promise<ContainerStatus> {
    const status = await this.pollUntilExited(id, Infinity, options.signal);
    if (!status) throw new Error('unreachable: a wait without deadline ended early');
    return status;
  }

  watchExit(id: string, onExit: () => void): () => void {
    return this.exits.watch(id, onExit);
  }

  /** berth-runtime exec (exec-process.ts); a refusal is classified by the container's state then. */
  async exec(id: string, request: ExecRequest): Promise<ExecProcess> {
    if (request.command.length === 0) throw new InvalidSpecError('command', 'exec needs a command to run');
    const before = await this.inspect(id);
    if (before.state !== 'running') throw new ContainerNotRunningError(id, before.state);
    try {
      return await startExec(this.cli.binary, this.cli.stateRoot, id, request);
    } catch (err) {
      if (!(err instanceof ExecStartError)) throw err;
      const now = await this.inspect(id); // ContainerNotFoundError when it went meanwhile
      if (now.state !== 'running') throw new ContainerNotRunningError(id, now.state);
      throw new ExecFailedError(id, err.message);
    }
  }

  /** The container's metadata; ContainerNotFoundError when there is none. */
  private async metaOf(id: string): Promise<ContainerMeta> {
    const meta = idPattern.test(id) ? await readMeta(this.bundleDir(id)) : undefined;
    if (!meta) throw new ContainerNotFoundError(id);
    return meta;
  }

  /** berth-runtime's state of the container, read from its state directory; undefined when it has none. */
  private async state(id: string): Promise<RuntimeState | undefined> {
    const read = readStateDir(this.cli.stateRoot, id);
    if (read.kind === 'found') return read.state;
    if (read.kind === 'absent') return undefined;
    return this.cli.state(id); // a format version this reader does not know: the binary does
  }

  /** Sends a signal; a container that has exited meanwhile is not an error. */
  private async signal(id: string, signal: string, all: boolean): Promise<void> {
    try {
      await this.cli.kill(id, signal, all);
    } catch (err) {
      if ((await this.inspect(id)).state !== 'exited') throw err;
    }
  }

  /** SIGKILL to every process of the container, then waits for the exit to be recorded. */
  private async killAll(id: string): Promise<ContainerStatus> {
    await this.signal(id, 'SIGKILL', true);
    const timeout = this.options.killTimeoutMs ?? 10_000;
    const status = await this.pollUntilExited(id, Date.now() + timeout);
    if (!status) throw new StopTimeoutError(id, timeout);
    return status;
  }

  /**
   * The final status once the container has exited, or undefined when `deadline` (epoch ms)
   * passes first. Init's end shows before the monitor has drained the output and recorded
   * the exit code; the status is final once that record is there. A monitor that died
   * (killed by hand) never writes it, so after exitRecordGraceMs the status is taken as is.
   *
   * It looks again when the exit watch says so (the monitor's record, or its sweep), and at
   * the latest every EXIT_WAIT_FALLBACK_MS: a stop that waits out a 30 s grace period (a PID 1
   * that ignores SIGTERM) costs a few reads, not one every 100 ms.
   */
  private async pollUntilExited(id: string, deadline: number, signal?: AbortSignal): Promise<ContainerStatus | undefined> {
    const fallbackMs = this.options.pollIntervalMs ?? EXIT_WAIT_FALLBACK_MS;
    let heard = false;
    let wake: (() => void) | undefined;
    const unwatch = this.exits.watch(id, () => {
      heard = true;
      wake?.();
    });
    try {
      let exitedSince: number | undefined;
      for (;;) {
        signal?.throwIfAborted();
        heard = false;
        const status = await this.inspect(id);
        if (status.state === 'exited') {
          exitedSince ??= Date.now();
          if (status.exitCode !== undefined || Date.now() - exitedSince >= exitRecordGraceMs) return status;
        }
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        // The watch may have spoken while the state was read: then look again at once.
        if (!heard) await wakeOrTimeout(Math.min(fallbackMs, left, exitedSince !== undefined ? 100 : Infinity), (w) => (wake = w), signal);
        wake = undefined;
      }
    } finally {
      unwatch();
    }
  }

  private bundleDir(id: string): string {
    return join(this.root, 'containers', id);
  }

  private ensureRoot(): Promise<void> {
    this.rootReady ??= (async () => {
      for (const dir of [this.root, join(this.root, 'state'), join(this.root, 'containers')]) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await chmod(dir, 0o700); // also when it existed: bundles hold env values (secrets)
      }
      // One directory per container below each: spread them over ext4's block groups (chattr +T).
      for (const dir of [join(this.root, 'state'), join(this.root, 'containers')]) markTopDir(dir);
    })().catch((err: unknown) => {
      this.rootReady = undefined; // the next call tries again
      throw err;
    });
    return this.rootReady;
  }
}
