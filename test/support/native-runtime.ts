/**
 * Drives the berth-runtime binary (and crun, for cross-checks) from the native tests, and
 * tracks everything a test creates so after-hooks can remove it even when the test failed:
 * containers (delete --force), cgroup parent directories, network namespaces.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { makeBusyboxRootfs, removeDir } from './native-busybox-bundle.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/test/support -> repo root. */
export const REPO_ROOT = resolve(here, '../../..');
export const BERTH_RUNTIME = join(REPO_ROOT, 'node-agent/native/build/Release/berth-runtime');
export const CGROUP_V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids'];

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, never throwing on a non-zero exit. */
export function runCmd(cmd: string, args: string[], opts: { stdin?: 'ignore' } = {}): Promise<CmdResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code: code ?? 128 + (signal ? 9 : 0), stdout, stderr }));
  });
}

export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** The `state` JSON of berth-runtime. */
export interface NativeState {
  ociVersion: string;
  id: string;
  status: 'created' | 'running' | 'stopped';
  pid: number;
  bundle: string;
  annotations: Record<string, string>;
  exitCode?: number;
  oomKilled?: boolean;
  startedAt?: string;
  finishedAt?: string;
  monitorPid: number;
}

/** One berth-runtime state root (a mkdtemp dir) plus the cleanup list of a test file. */
export class NativeRuntime {
  readonly root = mkdtempSync(join(tmpdir(), 'native-state-'));
  /** Container logs (kept out of the state root). */
  readonly logDir = mkdtempSync(join(tmpdir(), 'native-logs-'));
  /** The cgroup parent every container of this file lives under, e.g. /berth-native-1a2b3c4d. */
  readonly cgroupParent = `/berth-native-${randomSuffix()}`;
  private readonly ids = new Set<string>();

  cgroupsPath(id: string): string {
    return `${this.cgroupParent}/${id}`;
  }

  /** Absolute cgroup directories of a container (each v1 controller, or the v2 dir). */
  cgroupDirs(id: string): string[] {
    const rel = this.cgroupsPath(id);
    if (CGROUP_V2) return [`/sys/fs/cgroup${rel}`];
    return V1_CONTROLLERS.filter((c) => existsSync(`/sys/fs/cgroup/${c}`)).map((c) => `/sys/fs/cgroup/${c}${rel}`);
  }

  cgroupFile(id: string, v1Controller: string, file: string): string {
    const rel = this.cgroupsPath(id);
    return CGROUP_V2 ? `/sys/fs/cgroup${rel}/${file}` : `/sys/fs/cgroup/${v1Controller}${rel}/${file}`;
  }

  track(id: string): string {
    this.ids.add(id);
    return id;
  }

  exec(args: string[]): Promise<CmdResult> {
    return runCmd(BERTH_RUNTIME, ['--root', this.root, ...args]);
  }

  async ok(args: string[]): Promise<string> {
    const r = await this.exec(args);
    if (r.code !== 0) throw new Error(`berth-runtime ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  logPath(id: string): string {
    return join(this.logDir, `${id}.log`);
  }

  /**
   * create with a container log. Without --container-log the container would inherit this
   * command's stdout/stderr pipes and keep them open, like runc/crun create do.
   */
  async create(id: string, bundle: string, extra: string[] = []): Promise<void> {
    await this.ok(['create', '--bundle', bundle, '--container-log', this.logPath(id), ...extra, id]);
  }

  async state(id: string): Promise<NativeState> {
    return JSON.parse(await this.ok(['state', id])) as NativeState;
  }

  /** Polls `state` until the container stopped (the monitor recorded its exit). */
  async waitStopped(id: string, timeoutMs = 10000): Promise<NativeState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.state(id);
      if (s.status === 'stopped' && s.exitCode !== undefined) return s;
      if (Date.now() > deadline) throw new Error(`container ${id} still ${s.status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** delete --force every tracked container still known. */
  async deleteAll(): Promise<void> {
    for (const id of this.ids) {
      if (existsSync(join(this.root, id))) await this.exec(['delete', '--force', id]);
    }
    this.ids.clear();
  }

  /** Removes every tracked container, then the cgroup parents, then the state root. */
  async cleanup(): Promise<void> {
    await this.deleteAll();
    removeCgroupTree(this.cgroupParent);
    rmSync(this.root, { recursive: true, force: true });
    rmSync(this.logDir, { recursive: true, force: true });
  }
}

/**
 * rmdir a cgroup directory tree bottom-up under every hierarchy (leaves first). crun creates
 * the parents under every v1 hierarchy, not only the ones berth-runtime uses.
 */
export function removeCgroupTree(rel: string): void {
  const roots = CGROUP_V2
    ? ['/sys/fs/cgroup']
    : readdirSync('/sys/fs/cgroup', { withFileTypes: true })
        .filter((e) => e.isDirectory() && e.name !== 'unified')
        .map((e) => `/sys/fs/cgroup/${e.name}`);
  for (const r of roots) rmdirTree(`${r}${rel}`);
}

function rmdirTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmdirTree(join(dir, e.name));
  rmdirSync(dir);
}

/** Whether a process is alive: exists and is not a zombie waiting for its (re)parent to reap it. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** The parent pid of a process from /proc/<pid>/stat. */
export function parentPid(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Reads a CRI log file into records. */
export function readCriLog(path: string): Array<{ time: string; stream: string; tag: string; text: string }> {
  const text = readFileSync(path, 'utf8');
  return text.split('\n').filter((l) => l !== '').map((line) => {
    const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
    if (!m) throw new Error(`not a CRI log line: ${JSON.stringify(line)}`);
    return { time: m[1]!, stream: m[2]!, tag: m[3]!, text: m[4]! };
  });
}

/**
 * Runs a bundle with crun. crun 1.8 refuses this machine's hybrid cgroup layout, so it runs in a
 * private mount namespace where /sys/fs/cgroup/unified is unmounted (pure v1 for crun; the host
 * is untouched).
 */
export function crunRun(bundle: string, id: string, crunRoot: string): Promise<CmdResult> {
  const script = CGROUP_V2
    ? 'exec crun --root "$1" run --bundle "$2" "$3"'
    : 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --root "$1" run --bundle "$2" "$3"';
  return runCmd('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', crunRoot, bundle, id]);
}

/** NativeFixture is what a berth-runtime suite works with: a busybox rootfs, a work dir for bundles, a state root. */
export interface NativeFixture {
  rootfs: string;
  work: string;
  rt: NativeRuntime;
}

/**
 * useNativeFixture registers one NativeFixture for the calling suite, handed to `use` before the
 * first test and removed after the last (containers, cgroups, directories), also when a test
 * fails. With `deleteAfterEach`, every container is deleted after each test.
 */
export function useNativeFixture(workPrefix: string, use: (fixture: NativeFixture) => void, options: { deleteAfterEach?: boolean } = {}): void {
  let fixture: NativeFixture | undefined;
  before(() => {
    fixture = { rootfs: makeBusyboxRootfs(), work: mkdtempSync(join(tmpdir(), workPrefix)), rt: new NativeRuntime() };
    use(fixture);
  });
  if (options.deleteAfterEach) {
    afterEach(async () => {
      await fixture?.rt.deleteAll();
    });
  }
  after(async () => {
    await fixture?.rt.cleanup();
    if (fixture) {
      removeDir(fixture.rootfs);
      removeDir(fixture.work);
    }
  });
}
