/**
 * The berth-runtime binary's command line, typed. Each method runs the binary once with the
 * addon's runCommand (no shell, so no quoting of ids or paths can go wrong; no fork of the
 * agent, see native/addon/spawn.cc) and parses what it prints.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, type CommandOutcome } from '../native/index.js';
import { RuntimeCommandError } from './errors.js';

/** RuntimeState is used for what `berth-runtime state` prints (OCI state plus the monitor's records). */
export interface RuntimeState {
  ociVersion: string;
  id: string;
  status: 'created' | 'running' | 'stopped';
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
  /** When the container was created (RFC 3339). */
  created?: string;
  exitCode?: number;
  oomKilled?: boolean;
  startedAt?: string;
  finishedAt?: string;
  monitorPid?: number;
}

/** A command that has not answered in this long is stuck; the caller gets an error instead of a hang. */
const commandTimeoutMs = 30_000;

/**
 * LogRotation is used to have the monitor rotate container logs: before a record would take
 * the log past `maxBytes` it becomes `<log>.1` (`.1` becomes `.2`, …) and a new log is begun;
 * `maxFiles` counts the log being written too.
 */
export interface LogRotation {
  maxBytes: number;
  maxFiles: number;
}

/** BerthRuntimeCli is used to run the berth-runtime binary against one state root. */
export class BerthRuntimeCli {
  constructor(
    readonly binary: string,
    readonly stateRoot: string,
    /** Applied to every container this creates; none when absent. */
    readonly logRotation?: LogRotation,
  ) {}

  async create(id: string, bundle: string, logFile: string, pidFile?: string): Promise<void> {
    await this.run(['create', '--bundle', bundle, ...(pidFile ? ['--pid-file', pidFile] : []), ...this.logArgs(logFile), id]);
  }

  private logArgs(logFile: string): string[] {
    const r = this.logRotation;
    return ['--container-log', logFile, ...(r ? ['--log-max-size', String(r.maxBytes), '--log-max-files', String(r.maxFiles)] : [])];
  }

  async start(id: string): Promise<void> {
    await this.run(['start', id]);
  }

  /** `run --detach`: create and start in one command (one process instead of two), as runc/crun run -d. */
  async runDetached(id: string, bundle: string, logFile: string, pidFile?: string): Promise<void> {
    await this.run(['run', '--detach', '--bundle', bundle, ...(pidFile ? ['--pid-file', pidFile] : []), ...this.logArgs(logFile), id]);
  }

  /**
   * The container's state, or undefined when berth-runtime does not know the id. BerthRuntime
   * reads the state directory instead (runtime-state-dir.ts); this is for formats it does not know.
   */
  async state(id: string): Promise<RuntimeState | undefined> {
    try {
      return parseState(await this.run(['state', id]));
    } catch (err) {
      // Error texts are not a contract; whether the id exists is: ask list.
      if ((await this.list()).some((s) => s.id === id)) throw err;
      return undefined;
    }
  }

  async list(): Promise<RuntimeState[]> {
    const out = (await this.run(['list'])).trim();
    const parsed: unknown = out === '' ? [] : JSON.parse(out);
    if (!Array.isArray(parsed)) throw new Error(`berth-runtime list printed no JSON array: ${out.slice(0, 200)}`);
    return parsed as RuntimeState[];
  }

  /** Sends `signal` to init, or with `all` to every process in the container's cgroup. */
  async kill(id: string, signal: string, all = false): Promise<void> {
    await this.run(['kill', ...(all ? ['--all'] : []), id, signal]);
  }

  async delete(id: string, force = false): Promise<void> {
    await this.run(['delete', ...(force ? ['--force'] : []), id]);
  }

  /** `mount-overlay`: the overlay of `layerDirs` (base first) on `target`, its layers idmapped to `range`. */
  async mountOverlay(range: { hostId: number; size: number }, target: string, dir: string, layerDirs: readonly string[]): Promise<void> {
    await this.run(['mount-overlay', '--idmap', `${range.hostId}:${range.size}`, target, dir, ...layerDirs]);
  }

  private async run(args: string[]): Promise<string> {
    let outcome: CommandOutcome;
    try {
      outcome = await runCommand(this.binary, ['--root', this.stateRoot, ...args], { timeoutMs: commandTimeoutMs });
    } catch (err) {
      throw new RuntimeCommandError(args, null, (err as Error).message, { cause: err });
    }
    if (outcome.exitCode === 0 && !outcome.overflowed) return outcome.stdout;
    throw new RuntimeCommandError(args, outcome.exitCode, outcome.stderr || describeEnd(outcome));
  }
}

/** How a command that printed nothing to stderr ended, for the error. */
function describeEnd(outcome: CommandOutcome): string {
  if (outcome.timedOut) return `killed after ${commandTimeoutMs} ms without an answer`;
  if (outcome.overflowed) return 'killed: its output grew past 16 MiB';
  if (outcome.signal !== null) return `killed by signal ${outcome.signal}`;
  return `exited with status ${outcome.exitCode}`;
}

function parseState(stdout: string): RuntimeState {
  const state = JSON.parse(stdout) as RuntimeState;
  if (typeof state.id !== 'string' || typeof state.status !== 'string') {
    throw new Error(`berth-runtime state printed no OCI state: ${stdout.slice(0, 200)}`);
  }
  return state;
}

/**
 * The binary built by node-gyp, found from this file: the module runs from the sources or
 * from dist/, so walk up to the directory that holds package.json (the repository root).
 */
export function defaultBinaryPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}: pass binaryPath in the options`);
    dir = parent;
  }
  return join(dir, 'node-agent', 'native', 'build', 'Release', 'berth-runtime');
}
