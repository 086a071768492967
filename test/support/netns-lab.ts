/**
 * A small network lab for tests: network namespaces made by the test (and only their
 * addresses), joined by veth pairs and bridges inside them, and processes run in them. Everything
 * is removed by dispose(), also after a failure: processes by PID, then the namespaces (which
 * take their interfaces along).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { isAlive } from './processes.js';

const exec = promisify(execFile);

/** run runs a command and returns its stdout; a failure names the command and what it printed. */
export async function run(file: string, args: string[], timeoutMs = 20_000): Promise<string> {
  try {
    const { stdout } = await exec(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** NetnsLab holds the namespaces and processes of one test. */
export class NetnsLab {
  /** A short random prefix, so labs of tests running at once never share a name. */
  readonly prefix = `bt${randomBytes(3).toString('hex')}`;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  /** The path `nsenter --net=` takes for a namespace of this lab. */
  path(ns: string): string {
    return `/run/netns/${ns}`;
  }

  /** namespace makes a namespace `<prefix>-<name>` with loopback up (and IP forwarding when asked). */
  async namespace(name: string, options: { forwarding?: boolean } = {}): Promise<string> {
    const ns = `${this.prefix}-${name}`;
    this.namespaces.push(ns);
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    if (options.forwarding) await this.exec(ns, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    return ns;
  }

  /** exec runs a command inside a namespace and returns its stdout. */
  exec(ns: string, argv: string[], timeoutMs?: number): Promise<string> {
    return run('nsenter', [`--net=${this.path(ns)}`, '--', ...argv], timeoutMs);
  }

  /** link joins two namespaces with a veth pair (`a` side named `aName`, `b` side `bName`), addresses given as a.b.c.d/len, both up. */
  async link(a: string, aName: string, aAddr: string | undefined, b: string, bName: string, bAddr: string | undefined): Promise<void> {
    const tmp = `v${randomBytes(4).toString('hex')}`;
    await run('ip', ['-n', a, 'link', 'add', aName, 'type', 'veth', 'peer', 'name', tmp, 'netns', b]);
    await run('ip', ['-n', b, 'link', 'set', tmp, 'name', bName]);
    if (aAddr) await run('ip', ['-n', a, 'addr', 'add', aAddr, 'dev', aName]);
    if (bAddr) await run('ip', ['-n', b, 'addr', 'add', bAddr, 'dev', bName]);
    await run('ip', ['-n', a, 'link', 'set', aName, 'up']);
    await run('ip', ['-n', b, 'link', 'set', bName, 'up']);
  }

  /**
   * hostLink joins the test's own (host) namespace to `ns` with a veth pair: `<prefix>h<n>` on
   * the host side with `hostAddr`, `eth<n>` inside with `nsAddr`. It goes with the namespace.
   */
  async hostLink(ns: string, n: number, hostAddr: string, nsAddr: string): Promise<string> {
    const host = `${this.prefix}h${n}`;
    await run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', `eth${n}`, 'netns', ns]);
    await run('ip', ['addr', 'add', hostAddr, 'dev', host]);
    await run('ip', ['-n', ns, 'addr', 'add', nsAddr, 'dev', `eth${n}`]);
    await run('ip', ['link', 'set', host, 'up']);
    await run('ip', ['-n', ns, 'link', 'set', `eth${n}`, 'up']);
    return host;
  }

  /** bridge adds a bridge with an address to a namespace. */
  async bridge(ns: string, name: string, addr: string): Promise<void> {
    await run('ip', ['-n', ns, 'link', 'add', name, 'type', 'bridge']);
    await run('ip', ['-n', ns, 'addr', 'add', addr, 'dev', name]);
    await run('ip', ['-n', ns, 'link', 'set', name, 'up']);
  }

  /**
   * pod makes a namespace joined to `bridge` in `node` (the port in hairpin mode, as the CNI
   * bridge plugin sets it), with `ip`/len on its eth0 and a default route via `gateway`.
   */
  async pod(name: string, node: string, bridge: string, addr: string, gateway: string): Promise<string> {
    const ns = await this.namespace(name);
    const port = `${this.prefix.slice(2)}${name}`.slice(0, 15);
    await this.link(node, port, undefined, ns, 'eth0', addr);
    await run('ip', ['-n', node, 'link', 'set', port, 'master', bridge]);
    await run('ip', ['-n', node, 'link', 'set', port, 'type', 'bridge_slave', 'hairpin', 'on']);
    await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', gateway]);
    return ns;
  }

  /** resolvConf gives `ip netns exec <ns>` commands their own /etc/resolv.conf (iproute2 binds /etc/netns/<ns>/resolv.conf over it). */
  async resolvConf(ns: string, text: string): Promise<void> {
    await mkdir(`/etc/netns/${ns}`, { recursive: true });
    await writeFile(`/etc/netns/${ns}/resolv.conf`, text);
  }

  /** netnsExec runs a command with `ip netns exec` (which also applies /etc/netns/<ns>/), returning its stdout. */
  netnsExec(ns: string, argv: string[], timeoutMs?: number): Promise<string> {
    return run('ip', ['netns', 'exec', ns, ...argv], timeoutMs);
  }

  /** spawn starts a long-running process inside a namespace; it is killed by dispose(). */
  spawn(ns: string, argv: string[]): ChildProcess {
    const child = spawn('nsenter', [`--net=${this.path(ns)}`, '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    return child;
  }

  async dispose(): Promise<void> {
    for (const child of this.children) {
      if (child.pid !== undefined && isAlive(child.pid)) child.kill('SIGKILL');
    }
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
    }
    for (const ns of this.namespaces.reverse()) {
      if (existsSync(this.path(ns))) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
      await rm(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
  }
}

/** waitForLine resolves with the first line a process prints to stdout (e.g. "listening"), or rejects when it exits first. */
export function waitForLine(child: ChildProcess, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no output within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before printing a line; stderr: ${err}`));
    });
  });
}
