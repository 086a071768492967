/**
 * The cluster benchmarks' user-level view: real `berth` CLI processes, timed from their launch,
 * and a `berth get pods -w` process whose printed rows are stamped as they arrive on its stdout.
 * Every process started here is tracked by pid and killed when the bench exits, however it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BERTH_BIN } from './cli.js';
import { nowMs } from './bench-cluster.js';

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.pid && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** CliTarget is used to point `berth` at a cluster: its address and the env naming its CLI config (a LocalClusterHandle is one). */
export interface CliTarget {
  server: string;
  env: NodeJS.ProcessEnv;
}

function cliEnv(cluster: CliTarget): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: '/nonexistent', BERTH_SERVER: cluster.server, ...cluster.env };
}

function spawnBerth(cluster: CliTarget, args: string[]): ChildProcess {
  const child = spawn(process.execPath, [BERTH_BIN, ...args], {
    env: cliEnv(cluster),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** CliRun is one finished `berth` process: when it was launched and when it exited (epoch ms, this machine's clock). */
export interface CliRun {
  args: string[];
  launchedMs: number;
  exitedMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** runBerth launches `berth ARGS` against `server` and resolves when it has exited; a non-zero exit is an error. */
export function runBerth(cluster: CliTarget, args: string[]): Promise<CliRun> {
  const launchedMs = nowMs();
  const child = spawnBerth(cluster, args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const run = { args, launchedMs, exitedMs: nowMs(), code, stdout, stderr };
      if (code === 0) resolve(run);
      else reject(new Error(`berth ${args.join(' ')} exited ${code}: ${stderr || stdout}`));
    });
  });
}

/** isRunningRow: STATUS Running and READY n/n. */
function isRunningRow(row: { ready: string; status: string }): boolean {
  const [up, of] = row.ready.split('/');
  return row.status === 'Running' && up === of;
}

/** PodRow is what `berth get pods -w` printed about one pod: each time as its row arrived. */
export interface PodRow {
  name: string;
  firstMs: number;
  /** The first row saying STATUS Running with every container ready (READY n/n). */
  runningMs?: number;
  /** The first row saying Terminating. */
  terminatingMs?: number;
  last: { ready: string; status: string };
}

/**
 * CliPodWatch runs `berth get pods -w` (kubectl's columns: NAME READY STATUS RESTARTS AGE) and
 * keeps a PodRow per pod name. `ready()` resolves once its first listing was printed (the
 * header): the watch continues from that listing's revision, so nothing after it is missed.
 */
export class CliPodWatch {
  readonly rows = new Map<string, PodRow>();
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private headerSeen: () => void = () => undefined;
  private readonly header = new Promise<void>((resolve) => (this.headerSeen = resolve));
  private buffered = '';
  private stderr = '';

  constructor(cluster: CliTarget) {
    this.child = spawnBerth(cluster, ['get', 'pods', '-w']);
    this.child.stdout?.on('data', (d: Buffer) => this.onData(d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  /** ready resolves once the listing is printed; rejects if the process ends first. */
  ready(timeoutMs = 30_000): Promise<void> {
    return this.within(this.header, timeoutMs, 'berth get pods -w printed no header');
  }

  /** until resolves with the arrival time of the row after which `check` holds (checked at once too). */
  until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
    if (check()) return Promise.resolve(nowMs());
    let waiter: () => void = () => undefined;
    const done = new Promise<number>((resolve) => {
      waiter = () => {
        if (check()) resolve(nowMs());
      };
      this.waiters.add(waiter);
    });
    return this.within(done, timeoutMs, `waiting for ${what} in berth get pods -w`).finally(() => this.waiters.delete(waiter));
  }

  /** The rows of pods whose name starts with `prefix`. */
  of(prefix: string): PodRow[] {
    return [...this.rows.values()].filter((r) => r.name.startsWith(prefix));
  }

  /** The rows of pods whose name starts with `prefix` and whose latest row says Running, every container ready. */
  runningNow(prefix: string): PodRow[] {
    return this.of(prefix).filter((r) => isRunningRow(r.last));
  }

  /** stop ends the process (SIGTERM, by its pid) and waits for it. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  private within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`${what}: ${why}${this.stderr ? ` (stderr: ${this.stderr.trim()})` : ''}`));
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      const onExit = (code: number | null) => fail(`the process exited (${code})`);
      this.child.once('exit', onExit);
      promise.then(
        (value) => {
          clearTimeout(timer);
          this.child.off('exit', onExit);
          resolve(value);
        },
        (err: unknown) => fail(String(err)),
      );
    });
  }

  private onData(text: string): void {
    const at = nowMs();
    const lines = (this.buffered + text).split('\n');
    this.buffered = lines.pop() ?? '';
    for (const line of lines) this.onLine(line, at);
    for (const waiter of [...this.waiters]) waiter();
  }

  private onLine(line: string, at: number): void {
    const [name, ready, status] = line.trim().split(/\s+/);
    if (!name || !ready || !status) return;
    if (name === 'NAME' && ready === 'READY') return this.headerSeen();
    let row = this.rows.get(name);
    if (!row) {
      row = { name, firstMs: at, last: { ready, status } };
      this.rows.set(name, row);
    }
    row.last = { ready, status };
    if (isRunningRow(row.last)) row.runningMs ??= at;
    if (status === 'Terminating') row.terminatingMs ??= at;
  }
}

/** Wall time (ms) of a process from launch to exit. */
function timeProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const launched = nowMs();
  const child = spawn(command, args, { env, stdio: 'ignore' });
  children.add(child);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve(nowMs() - launched);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}`));
    });
  });
}

/** CliStartup is what any `berth` command pays before and around its call to the cluster (medians, ms). */
export interface CliStartup {
  /** `node -e 0`: the runtime alone. */
  node: number;
  /** `berth --help`: the runtime and every module of the CLI, no proto, no connection. */
  help: number;
  /** `berth get namespaces`: all of that, the proto, a connection and one List round trip. */
  getNamespaces: number;
}

/** cliStartup times each of CliStartup's commands `samples` times, interleaved, and takes medians. */
export async function cliStartup(cluster: CliTarget, samples = 5): Promise<CliStartup> {
  const env = cliEnv(cluster);
  const times: Record<keyof CliStartup, number[]> = { node: [], help: [], getNamespaces: [] };
  for (let i = 0; i < samples; i++) {
    times.node.push(await timeProcess(process.execPath, ['-e', '0'], env));
    times.help.push(await timeProcess(process.execPath, [BERTH_BIN, '--help'], env));
    times.getNamespaces.push(await timeProcess(process.execPath, [BERTH_BIN, 'get', 'namespaces'], env));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  return { node: median(times.node), help: median(times.help), getNamespaces: median(times.getNamespaces) };
}
