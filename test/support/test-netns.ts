/**
 * Network namespaces a test makes for itself (a node's, a peer's outside the cluster), and the
 * processes it starts in them, all removed by cleanup(), also after a failure. Names carry a
 * random part, so tests on one machine never meet; nothing outside these namespaces is touched.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { netnsName } from '../../node-agent/network/pod-network.js';
import { isAlive } from './processes.js';

const run = promisify(execFile);

/** TestNetns is used by a test to make namespaces, run commands in them and remove all of it. */
export class TestNetns {
  private readonly names: string[] = [];
  private readonly podUids = new Set<string>();
  private readonly children: ChildProcess[] = [];
  readonly prefix = `bnt${randomBytes(3).toString('hex')}`;

  /** make adds namespace `<prefix>-<name>` with its loopback up; returns its path under /var/run/netns. */
  async make(name: string): Promise<string> {
    const full = `${this.prefix}-${name}`;
    this.names.push(full);
    await run('ip', ['netns', 'add', full]);
    await run('ip', ['-n', full, 'link', 'set', 'lo', 'up']);
    return `/var/run/netns/${full}`;
  }

  /** pod remembers a pod uid whose namespace (berth-<uid prefix>) cleanup must remove if the test did not. */
  pod(uid: string): string {
    this.podUids.add(uid);
    return uid;
  }

  /** sh runs a command in the namespace at `path` (nsenter --net) and returns its stdout; a failure throws with stderr. */
  async sh(path: string, file: string, args: string[]): Promise<string> {
    try {
      return (await run('nsenter', [`--net=${path}`, '--', file, ...args], { timeout: 20_000 })).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${file} ${args.join(' ')} in ${path}: ${e.stderr?.trim() || e.message}`);
    }
  }

  /** succeeds tells whether a command in the namespace exits 0. */
  async succeeds(path: string, file: string, args: string[]): Promise<boolean> {
    return this.sh(path, file, args).then(() => true, () => false);
  }

  /** background starts a long-running command in the namespace; cleanup kills it by its pid. */
  background(path: string, file: string, args: string[]): ChildProcess {
    const child = spawn('nsenter', [`--net=${path}`, '--', file, ...args], { stdio: 'ignore' });
    this.children.push(child);
    return child;
  }

  async cleanup(): Promise<void> {
    for (const child of this.children) if (child.pid && isAlive(child.pid)) child.kill('SIGKILL');
    for (const uid of this.podUids) await run('ip', ['netns', 'delete', netnsName(uid)]).catch(() => undefined);
    for (const name of this.names.reverse()) await run('ip', ['netns', 'delete', name]).catch(() => undefined);
  }
}
