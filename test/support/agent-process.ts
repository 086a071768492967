/**
 * Runs the REAL berth-agent binary (dist/node-agent/main.js) for tests, and cleans up after it
 * whatever happens: the agent by PID, its containers (BerthRuntime remove with force), the
 * network namespaces of its pods, its cgroup parent, mounts and state directory.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { agentLaunch } from '../../cli/local-cluster/paths.js';
import { LABEL_POD_UID } from '../../node-agent/agent/container-naming.js';
import { netnsName } from '../../node-agent/network/pod-network.js';
import { BerthRuntime } from '../../node-agent/runtime/berth-runtime.js';
import { HostMounter, mountPointsUnder } from '../../node-agent/runtime/mounter.js';
import { freePort } from './ports.js';
import { isAlive } from './processes.js';
import { removeCgroupTree } from './runtime-host.js';
import { writeTestNodeTlsDir } from './test-pki.js';

const run = promisify(execFile);
const agentMain = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node-agent', 'main.js');

/** AgentProcessOptions is used to start one agent. */
export interface AgentProcessOptions {
  server: string;
  name?: string;
  insecureRegistries?: string[];
  /** More berth-agent flags, appended. */
  extraArgs?: string[];
}

/** TestAgent is one running (or stopped) berth-agent with its own root and cgroup parent. */
export class TestAgent {
  private child: ChildProcess | undefined;
  private output = '';
  /** Pod uids this agent may have made network namespaces for (added by tests). */
  readonly podUids = new Set<string>();

  private constructor(
    readonly name: string,
    readonly root: string,
    readonly cgroupParent: string,
    readonly agentPort: number,
    private readonly options: AgentProcessOptions,
  ) {}

  static async start(options: AgentProcessOptions): Promise<TestAgent> {
    const suffix = randomBytes(4).toString('hex');
    const name = options.name ?? `node-${suffix}`;
    const root = await mkdtemp(join(tmpdir(), 'berth-agent-'));
    const agent = new TestAgent(name, root, `berth-test-${suffix}/${name}`, await freePort(), options);
    await agent.launch();
    return agent;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last lines the agent printed, for failure messages. */
  logs(): string {
    return this.output.slice(-4000);
  }

  /** The runtime over the agent's root, as the agent sees it. */
  runtime(): BerthRuntime {
    return new BerthRuntime({ root: join(this.root, 'runtime') });
  }

  /** The agent's --tls-dir: the test CA's certificate for this node, inside its root. */
  get tlsDir(): string {
    return join(this.root, 'tls');
  }

  async launch(): Promise<void> {
    await writeTestNodeTlsDir(this.tlsDir, this.name);
    const args = [
      agentMain,
      '--server', this.options.server,
      '--name', this.name,
      '--root', this.root,
      '--tls-dir', this.tlsDir,
      '--node-ip', '127.0.0.1',
      '--agent-port', String(this.agentPort),
      '--cgroup-parent', `/${this.cgroupParent}`,
      '--log-level', 'debug',
      // Test agents share the test's own network namespace: a bridge, routes and nftables rules there would be the host's.
      '--pod-network', 'loopback',
      // These agents share the test's own network namespace: no nftables table, no DNS server there.
      '--no-service-proxy',
      '--no-cluster-dns',
      ...(this.options.insecureRegistries ?? []).flatMap((r) => ['--insecure-registry', r]),
      ...(this.options.extraArgs ?? []),
    ];
    // As the agent's #! line asks (its V8 options and environment), like `berth up` starts it.
    const launch = agentLaunch();
    const child = spawn(process.execPath, [...launch.nodeOptions, ...args], { env: { ...process.env, ...launch.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (d: Buffer) => (this.output = (this.output + d.toString()).slice(-200_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Stops the agent process by PID (SIGTERM: its containers keep running; SIGKILL: a crash). */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid, signal);
    const timer = setTimeout(() => child.pid && isAlive(child.pid) && process.kill(child.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Removes everything the agent and its pods left: call from after(), also after a failure. */
  async cleanup(): Promise<void> {
    await this.stop('SIGKILL');
    const runtime = this.runtime();
    const uids = new Set(this.podUids);
    for (const c of await runtime.list().catch(() => [])) {
      const uid = c.labels[LABEL_POD_UID];
      if (uid) uids.add(uid);
      await runtime.remove(c.id, { force: true }).catch(() => undefined);
    }
    for (const file of await readdir(join(this.root, 'pods')).catch(() => [] as string[])) if (file.endsWith('.json')) uids.add(file.slice(0, -5));
    for (const uid of uids) await run('ip', ['netns', 'delete', netnsName(uid)]).catch(() => undefined);
    const mounter = new HostMounter();
    for (const point of (await mountPointsUnder(this.root)).reverse()) await mounter.unmount(point, true).catch(() => undefined);
    await removeCgroupTree(`/${this.cgroupParent.split('/')[0]}`).catch(() => undefined);
    await rm(this.root, { recursive: true, force: true });
  }
}
