/**
 * startLocalCluster brings up a real local cluster with the real `berth up` (docs/architecture.md section 10)
 * for e2e tests: its own temp state dir, CLI config, cluster name, lab subnet and ports, so
 * several test runs on one machine never meet. `down()` runs the real `berth down`; call it in
 * an `after` hook so a failing test leaves nothing behind.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientCredentials } from '../../cli/config.js';
import type { TlsMaterial } from '../../proto/security/tls-credentials.js';
import { clusterRangeOverlapping, parseLabCidr, routeOverlaps } from '../../cli/local-cluster/lab-network.js';
import { cgroupLeftovers } from '../../cli/local-cluster/node-cleanup.js';
import { agentLaunch, runtimeBinary } from '../../cli/local-cluster/paths.js';
import { writeRecord, type ClusterRecord } from '../../cli/local-cluster/record.js';
import { spawnDetached } from '../../cli/local-cluster/processes.js';
import { waitControlPlaneReady } from '../../cli/local-cluster/control-plane-process.js';
import { isAlive } from './processes.js';
import { berth, type RunResult } from './cli.js';
import { freePort } from './ports.js';

/** LocalClusterNode is one node of a test cluster. */
export interface LocalClusterNode {
  /** The Node object's name (`node-<i>`). */
  name: string;
  /** Its network namespace (run `ip netns exec <netns> …` to act on the node's network). */
  netns: string;
  /** Its lab address. */
  ip: string;
  /** The agent's --root (its containers, images and logs: <root>/agent.log). */
  root: string;
  /** The agent's cgroup parent. */
  cgroupParent: string;
  /** The agent's pid (as recorded when up started it). */
  agentPid: number;
}

/** LocalClusterHandle is a running test cluster. */
export interface LocalClusterHandle {
  /** ClusterAPI address (`<bridge ip>:<port>`), for `berth(server, …)` and ClusterClient. */
  server: string;
  stateDir: string;
  /** Env for `berth(…)` so the CLI uses this cluster's config file. */
  env: NodeJS.ProcessEnv;
  /** The admin credentials `berth up` wrote to that config file, for in-process ClusterAPI clients. */
  tls: TlsMaterial;
  /** The flags this cluster was started with (give them to `berth down`, `berth up`). */
  flags: string[];
  nodes: LocalClusterNode[];
  /** The registry (`<bridge ip>:5000`, plain HTTP), the nodes' docker.io mirror; holds library/busybox:1.35 and :latest. */
  registry: string;
  /** The full record `berth up` wrote (bridge, pids, cgroup root, …). */
  record: ClusterRecord;
  /** What `berth up` printed. */
  up: RunResult;
  /** Runs `berth down` and removes the temp dir; idempotent; throws if down failed. */
  down(): Promise<RunResult>;
}

/** StartLocalClusterOptions is used to size a test cluster. */
export interface StartLocalClusterOptions {
  nodes: number;
  /** Seconds `berth up` waits for Ready nodes (default 120). */
  timeoutSeconds?: number;
}

/** A /24 in 10.214.0.0–10.250.255.0 that no route of this machine overlaps right now. */
export function freeLabCidr(): string {
  const routes = JSON.parse(execFileSync('ip', ['-j', '-4', 'route', 'show'], { encoding: 'utf8' })) as Array<{ dst: string }>;
  for (;;) {
    const cidr = `10.${randomInt(214, 251)}.${randomInt(0, 256)}.0/24`;
    const subnet = parseLabCidr(cidr);
    if (!routes.some((r) => routeOverlaps(subnet, r.dst)) && !clusterRangeOverlapping(subnet)) return cidr;
  }
}

/** A loopback port whose next port (etcd's peer port) is free too. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p < 65534 && (await freePort()) !== p + 1) return p;
  }
}

/** The flags for a fresh, unique local cluster under `dir`. */
export async function uniqueClusterFlags(dir: string, nodes: number, timeoutSeconds = 120): Promise<string[]> {
  return [
    '--state-dir', join(dir, 'state'),
    '--name', `t${randomBytes(4).toString('hex')}`,
    '--lab-cidr', freeLabCidr(),
    '--listen', String(await freePort()),
    '--etcd-port', String(await freePortPair()),
    '--nodes', String(nodes),
    '--timeout', String(timeoutSeconds),
    // Tests never reach outside this machine: an image the local registry lacks is an error.
    '--mirror-only',
  ];
}

/** startLocalCluster runs `berth up` for a unique cluster and returns its handle; if up fails, it runs down and throws with up's output. */
export async function startLocalCluster(options: StartLocalClusterOptions): Promise<LocalClusterHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-local-cluster-'));
  const env = { BERTH_CONFIG: join(dir, 'config') };
  const flags = await uniqueClusterFlags(dir, options.nodes, options.timeoutSeconds);
  const stateDir = join(dir, 'state');
  let downed: Promise<RunResult> | undefined;
  const down = (): Promise<RunResult> =>
    (downed ??= (async () => {
      const result = await berth(undefined, ['down', ...flags], undefined, env);
      if (result.code !== 0) throw new Error(`berth down failed (${result.code}): ${result.stderr}`);
      rmSync(dir, { recursive: true, force: true });
      return result;
    })());
  const up = await berth(undefined, ['up', ...flags], undefined, env);
  if (up.code !== 0) {
    await down().catch(() => undefined);
    throw new Error(`berth up failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
  }
  const record = JSON.parse(readFileSync(join(stateDir, 'cluster.json'), 'utf8')) as ClusterRecord;
  return {
    server: record.server,
    stateDir,
    env,
    tls: clientCredentials(env.BERTH_CONFIG),
    flags,
    nodes: record.nodes.map((n) => ({ name: n.name, netns: n.netns, ip: n.ip, root: n.root, cgroupParent: n.cgroupParent, agentPid: n.agentPid ?? 0 })),
    registry: record.registry?.address ?? '',
    record,
    up,
    down,
  };
}

/** The containers berth-runtime knows on a node (ids and pids), from any runtime state root under its --root. */
export function nodeContainers(nodeRoot: string): Array<{ id: string; pid?: number }> {
  const out: Array<{ id: string; pid?: number }> = [];
  for (const root of [join(nodeRoot, 'runtime'), join(nodeRoot, 'runtime', 'state')]) {
    try {
      out.push(...(JSON.parse(execFileSync(runtimeBinary(), ['--root', root, 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Array<{ id: string; pid?: number }>));
    } catch {
      // no runtime state there
    }
  }
  return out;
}

/**
 * sandboxNetns lists the pod sandbox namespaces a node's agent records (<root>/network/pods/*.json,
 * pods' and the warm pool's): read before `berth down`, so leftovers() can check they went.
 */
export function sandboxNetns(nodeRoot: string): string[] {
  const dir = join(nodeRoot, 'network', 'pods');
  if (!existsSync(dir)) return [];
  const names: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.'))) {
    try {
      const netns = (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { attachment?: { netns?: string } }).attachment?.netns;
      if (netns) names.push(netns.split('/').pop() ?? netns);
    } catch {
      // removed or half-written meanwhile
    }
  }
  return names;
}

/** What of a cluster is still on this machine; every list is empty after a clean `berth down`. */
export interface Leftovers {
  processes: number[];
  netns: string[];
  links: string[];
  mounts: string[];
  cgroups: string[];
  dirs: string[];
}

/**
 * leftovers looks for anything of `record` still here: the given pids alive, namespaces
 * (`podNetns` too), the bridge and veths, mounts under the state dir in ANY mount namespace,
 * cgroups on any hierarchy, the state dir.
 */
export function leftovers(record: ClusterRecord, pids: number[], podNetns: string[] = []): Leftovers {
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '');
  const links = (JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string }>).map((l) => l.ifname);
  const mounts = new Set<string>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      for (const line of readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n')) if (line.includes(record.stateDir)) mounts.add(line.split(' ')[4] ?? line);
    } catch {
      // the process ended meanwhile
    }
  }
  return {
    processes: pids.filter((p) => isAlive(p)),
    netns: netns.filter((n) => record.nodes.some((node) => n === node.netns || n.startsWith(`${node.netns}-`)) || podNetns.includes(n)),
    links: links.filter((l) => l === record.bridge || record.nodes.some((n) => l === n.hostVeth)),
    mounts: [...mounts],
    cgroups: cgroupLeftovers(record.cgroupRoot),
    dirs: existsSync(record.stateDir) ? [record.stateDir] : [],
  };
}

// --- Acting on a running test cluster's processes like an operator would (additive helpers). ---

const savedArgv = new Map<string, string[]>();

function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
}

async function waitGone(pid: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Keeps cluster.json in step with the handle, so `berth down` stops the processes running now.
function saveRecord(cluster: LocalClusterHandle): void {
  writeRecord(cluster.record);
}

/**
 * stopAgent ends a node's agent by its recorded pid (SIGTERM: it exits and leaves its containers
 * running; SIGKILL: as a crash would) and remembers its command line for startAgent.
 */
export async function stopAgent(cluster: LocalClusterHandle, nodeName: string, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  const node = cluster.nodes.find((n) => n.name === nodeName);
  if (!node) throw new Error(`no node ${nodeName}`);
  if (!isAlive(node.agentPid)) return;
  savedArgv.set(node.name + cluster.stateDir, cmdline(node.agentPid));
  process.kill(node.agentPid, signal);
  await waitGone(node.agentPid);
}

/**
 * startAgent starts a stopped node's agent again the way `berth up` does (nsenter into the node's
 * network namespace only, log appended to <root>/agent.log) with the same arguments, and records
 * its new pid in the handle and in cluster.json.
 */
export function startAgent(cluster: LocalClusterHandle, nodeName: string): number {
  const node = cluster.nodes.find((n) => n.name === nodeName);
  const recorded = cluster.record.nodes.find((n) => n.name === nodeName);
  const argv = savedArgv.get(nodeName + cluster.stateDir);
  if (!node || !recorded || !argv) throw new Error(`startAgent ${nodeName}: stop it with stopAgent first`);
  if (isAlive(node.agentPid)) throw new Error(`the agent of ${nodeName} (pid ${node.agentPid}) still runs`);
  // The command line keeps the agent's node options; its environment comes from its #! line again.
  const env = Object.entries(agentLaunch().env).map(([name, value]) => `${name}=${value}`);
  const pid = spawnDetached('nsenter', [`--net=/run/netns/${node.netns}`, '--', ...(env.length > 0 ? ['env', ...env] : []), ...argv], join(node.root, 'agent.log'));
  node.agentPid = pid;
  recorded.agentPid = pid;
  saveRecord(cluster);
  return pid;
}

/** restartAgent stops a node's agent (SIGTERM) and starts it again with the same arguments. */
export async function restartAgent(cluster: LocalClusterHandle, nodeName: string): Promise<number> {
  await stopAgent(cluster, nodeName);
  return startAgent(cluster, nodeName);
}

/**
 * restartControlPlane stops the control plane (SIGTERM, its embedded etcd with it) and starts it
 * again with the same command line and log, as `berth up` does; resolves once ClusterAPI answers.
 */
export async function restartControlPlane(cluster: LocalClusterHandle): Promise<number> {
  const old = cluster.record.controlPlanePid ?? 0;
  const argv = cmdline(old);
  process.kill(old, 'SIGTERM');
  await waitGone(old, 30_000);
  const [file, ...args] = argv;
  const pid = spawnDetached(file ?? process.execPath, args, join(cluster.stateDir, 'control-plane.log'));
  cluster.record.controlPlanePid = pid;
  saveRecord(cluster);
  await waitControlPlaneReady(cluster.server, cluster.tls, pid, cluster.record.controlPlaneDataDir, cluster.stateDir);
  return pid;
}
