/**
 * Machines for `berth init` / `berth join` tests: one network namespace per machine, joined by a
 * bridge in a "lan" namespace (a switch with a router address), all made by the test and
 * addressed from a free /24; an image registry in the first machine with busybox in it. Every
 * program the CLI starts is found by its pid file; cleanUp() removes all of it through the same
 * teardown `berth down` uses (agents, containers, pod namespaces, mounts, cgroups, the control
 * plane and its etcd, the registry, the namespaces, the state), also after a failure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_BUSYBOX } from '../../cli/local-cluster/busybox-image.js';
import { REGISTRY_BINARY } from '../../cli/local-cluster/paths.js';
import type { ClusterRecord } from '../../cli/local-cluster/record.js';
import { writeRegistryConfig } from '../../cli/local-cluster/registry.js';
import { teardown } from '../../cli/local-cluster/teardown.js';
import { BERTH_BIN, REPO_ROOT, runCollecting, type RunResult } from './cli.js';
import { freeLabCidr, leftovers, type Leftovers } from './local-cluster.js';
import { NetnsLab } from './netns-lab.js';
import { eventually } from './wait.js';

/** One stand-in machine. */
export interface Machine {
  name: string;
  netns: string;
  ip: string;
  /** --dir of init/join. */
  configDir: string;
  /** --state-dir of init/join. */
  stateDir: string;
  cgroupParent: string;
}

/** MachineLab is used by a test to run the berth CLI on stand-in machines and remove everything afterwards. */
export class MachineLab {
  readonly lab = new NetnsLab();
  readonly dir = mkdtempSync(join(tmpdir(), 'berth-machines-'));
  readonly machines: Machine[] = [];
  /** The admin's CLI config, as berth init writes it. */
  readonly config = join(this.dir, 'admin-config');
  registry = '';
  private registryPid = 0;
  private readonly cgroupRoot = `/berth-${this.lab.prefix}`;
  private base = '';

  /** Makes `names.length` machines on one LAN, the first at .11, and a registry with busybox on the first. */
  async build(names: string[]): Promise<void> {
    const cidr = freeLabCidr();
    this.base = cidr.split('.').slice(0, 3).join('.');
    const lan = await this.lab.namespace('lan');
    await this.lab.bridge(lan, 'br0', `${this.base}.1/24`);
    for (const [i, name] of names.entries()) {
      const netns = await this.lab.namespace(name);
      const ip = `${this.base}.${11 + i}`;
      await this.lab.link(netns, 'eth0', `${ip}/24`, lan, `p${i}`, undefined);
      execFileSync('ip', ['-n', lan, 'link', 'set', `p${i}`, 'master', 'br0']);
      execFileSync('ip', ['-n', netns, 'route', 'add', 'default', 'via', `${this.base}.1`]);
      this.machines.push({ name, netns, ip, configDir: join(this.dir, name, 'etc'), stateDir: join(this.dir, name, 'var'), cgroupParent: `${this.cgroupRoot}/${name}` });
    }
    await this.startRegistry(this.machine(names[0] ?? ''));
  }

  machine(name: string): Machine {
    const m = this.machines.find((x) => x.name === name);
    if (!m) throw new Error(`no machine ${name}`);
    return m;
  }

  /** The agent flags every machine gets: its cgroup under the test's root, images only from the lab's registry. */
  agentArgs(m: Machine): string[] {
    return [`--agent-arg=--cgroup-parent=${m.cgroupParent}`, `--agent-arg=--registry-mirror=docker.io=http://${this.registry}`, `--agent-arg=--insecure-registry=${this.registry}`, '--agent-arg=--registry-mirror-only'];
  }

  /** Runs the real berth CLI on machine `m` (in its network namespace) as root with the admin config. */
  berth(m: Machine, args: string[], input = ''): Promise<RunResult> {
    return runCollecting('nsenter', [`--net=${this.lab.path(m.netns)}`, '--', process.execPath, BERTH_BIN, ...args], { PATH: process.env.PATH, HOME: '/nonexistent', BERTH_CONFIG: this.config }, input);
  }


  /** Like berth(), but fails with the output when the command fails. */
  async ok(m: Machine, args: string[], input = ''): Promise<string> {
    const r = await this.berth(m, args, input);
    if (r.code !== 0) throw new Error(`berth ${args.join(' ')} on ${m.name} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  private async startRegistry(m: Machine): Promise<void> {
    this.registry = `${m.ip}:5000`;
    const dir = join(this.dir, 'registry');
    const config = writeRegistryConfig(dir, this.registry);
    const child = this.lab.spawn(m.netns, [REGISTRY_BINARY, 'serve', config]);
    this.registryPid = child.pid ?? 0;
    const push = `import('${join(REPO_ROOT, 'dist', 'cli', 'local-cluster', 'busybox-image.js')}').then((m) => m.buildBusyboxImage('${this.registry}', '${LOCAL_BUSYBOX.name}', '${LOCAL_BUSYBOX.tag}', undefined, { extraTags: ['latest'] }))`;
    // Pushed from inside the machine: the registry listens on the machine's own address only.
    await eventually(() => this.lab.exec(m.netns, [process.execPath, '-e', push], 60_000), 20_000, 500);
  }

  /** The pid in a pid file init/join wrote, or undefined. */
  private pidIn(file: string): number | undefined {
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** Everything of the lab as a local-cluster record, so the teardown of `berth down` removes it. */
  record(): ClusterRecord {
    const first = this.machines[0];
    const cp = first ? this.pidIn(join(first.stateDir, 'control-plane.pid')) : undefined;
    return {
      name: this.lab.prefix,
      stateDir: this.dir,
      labCidr: `${this.base}.0/24`,
      bridgeIp: `${this.base}.1`,
      server: '',
      ...(cp ? { controlPlanePid: cp } : {}),
      controlPlaneDataDir: first ? join(first.stateDir, 'control-plane') : join(this.dir, 'none'),
      etcdPort: 2379,
      registry: { address: this.registry, dir: join(this.dir, 'registry'), config: join(this.dir, 'registry', 'config.yml'), pid: this.registryPid },
      cgroupRoot: this.cgroupRoot,
      nodes: this.machines.map((m) => {
        const agentPid = this.pidIn(join(m.stateDir, 'agent.pid'));
        return { name: m.name, netns: m.netns, hostVeth: `${this.lab.prefix}none`, ip: m.ip, root: join(m.stateDir, 'agent'), cgroupParent: m.cgroupParent, ...(agentPid ? { agentPid } : {}) };
      }),
      dirs: [],
    };
  }

  /** Removes everything and returns what is left of it (every list empty when all went). */
  async cleanUp(extraPids: number[] = []): Promise<Leftovers> {
    const record = this.record();
    const pids = [record.controlPlanePid ?? 0, this.registryPid, ...record.nodes.map((n) => n.agentPid ?? 0), ...extraPids].filter((p) => p > 0);
    const etcdPid = this.pidIn(join(record.controlPlaneDataDir, 'etcd', 'etcd.pid'));
    if (etcdPid) pids.push(etcdPid);
    try {
      await teardown(record, () => undefined);
    } finally {
      await this.lab.dispose();
    }
    return leftovers(record, pids);
  }
}
