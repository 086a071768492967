/**
 * What `berth down` removes for one node after its agent is stopped: the containers the agent
 * started (they outlive agents by design, docs/architecture.md section 8), the pod network namespaces they
 * used, every mount left under the node's root, and the node's cgroup parent on every cgroup
 * hierarchy (v1 controllers, named v1 hierarchies and v2). Each step is idempotent, so it is
 * safe after a crash or a second time.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sh, shQuiet } from './host-commands.js';
import { runtimeBinary } from './paths.js';

/** NodeResources names what a node owns on the host, as recorded in cluster.json. */
export interface NodeResources {
  root: string;
  cgroupParent: string;
  netns: string;
}

/** Directories where berth-runtime may keep its state for the agent of a node (`--root` of berth-runtime). */
function runtimeRoots(nodeRoot: string): string[] {
  return [join(nodeRoot, 'runtime'), join(nodeRoot, 'runtime', 'state')].filter((d) => existsSync(d));
}

interface RuntimeState {
  id: string;
  bundle?: string;
}

/** The network namespace path a container's OCI spec joins, if any (recorded by the agent in its bundle). */
function netnsPathOf(bundle: string | undefined): string | undefined {
  if (!bundle) return undefined;
  try {
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { linux?: { namespaces?: Array<{ type: string; path?: string }> } };
    return spec.linux?.namespaces?.find((n) => n.type === 'network')?.path;
  } catch {
    return undefined;
  }
}

/** deleteContainers force-deletes every container berth-runtime knows under the node root; returns the netns paths they joined. */
export async function deleteContainers(nodeRoot: string): Promise<string[]> {
  const netnsPaths = new Set<string>();
  for (const root of runtimeRoots(nodeRoot)) {
    let states: RuntimeState[];
    try {
      states = JSON.parse(await sh(runtimeBinary(), ['--root', root, 'list'])) as RuntimeState[];
    } catch {
      continue;
    }
    for (const s of states) {
      const netns = netnsPathOf(s.bundle);
      if (netns) netnsPaths.add(netns);
      await shQuiet(runtimeBinary(), ['--root', root, 'delete', '--force', s.id]);
    }
  }
  return [...netnsPaths];
}

/** Mount points at or under `dir`, deepest first (from /proc/self/mountinfo, octal escapes decoded). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.replace(/\/+$/, '');
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === prefix || p.startsWith(`${prefix}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** unmountAll unmounts everything mounted under `dir` (overlay rootfs, bind mounts, nsfs), lazily if busy. */
export async function unmountAll(dir: string): Promise<void> {
  for (let pass = 0; pass < 3; pass++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return;
    for (const p of points) if (!(await shQuiet('umount', [p]))) await shQuiet('umount', ['-l', p]);
  }
}

/**
 * The pod network namespaces the agent recorded: one per pod file <root>/pods/<uid>.json and per
 * CNI attachment record <root>/network/pods/<uid>.json (a pod's state file goes before its
 * record only if the agent stopped in between), named berth-<first 12 hex of the uid>
 * (node-agent/network/pod-network.ts netnsName; the CLI may not import the agent, so the rule is
 * repeated here). Their veths and addresses go with them and with the node's namespace; the
 * addresses' leases are files under the root, which goes last.
 */
export function podNetnsFromAgentState(nodeRoot: string): string[] {
  const uids = new Set<string>();
  for (const dir of [join(nodeRoot, 'pods'), join(nodeRoot, 'network', 'pods')]) {
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of files) if (f.endsWith('.json') && !f.startsWith('.')) uids.add(f.slice(0, -'.json'.length));
  }
  return [...uids].map((uid) => `berth-${uid.replace(/-/g, '').slice(0, 12)}`);
}

/**
 * removePodNetns deletes the node's pod network namespaces: those the agent recorded (pod files,
 * container bundles) and any named under the node's own prefix; never any other.
 */
export async function removePodNetns(nodeRoot: string, netnsPaths: string[], nodeNetns: string, allNetns: string[]): Promise<void> {
  const names = new Set([...allNetns.filter((n) => n.startsWith(`${nodeNetns}-`)), ...podNetnsFromAgentState(nodeRoot)]);
  for (const path of netnsPaths) {
    if (dirname(path) === '/run/netns' || dirname(path) === '/var/run/netns') names.add(basename(path));
    else if (existsSync(path)) await shQuiet('umount', [path]);
  }
  for (const name of names) if (existsSync(`/run/netns/${name}`)) await shQuiet('ip', ['netns', 'del', name]);
}

/** Every cgroup hierarchy's mount point (v1 controllers, named v1 hierarchies, v2). */
function cgroupMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined);
}

function subtreeDeepestFirst(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...subtreeDeepestFirst(join(dir, e.name)));
  out.push(dir);
  return out;
}

function pidsIn(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter((l) => l !== '').map(Number);
  } catch {
    return [];
  }
}

/**
 * removeCgroupParent removes `parent` and everything below it on every hierarchy. A process still
 * in it belongs to this node's containers by construction (nothing else uses the parent), so it
 * is killed first.
 */
export async function removeCgroupParent(parent: string): Promise<void> {
  const rel = parent.replace(/^\/+|\/+$/g, '');
  if (rel === '') return;
  for (const mount of cgroupMounts()) {
    const top = join(mount, rel);
    if (!existsSync(top) || !statSync(top).isDirectory()) continue;
    for (const dir of subtreeDeepestFirst(top)) {
      for (let attempt = 0; attempt < 50; attempt++) {
        for (const pid of pidsIn(dir)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        try {
          rmdirSync(dir);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
          await sleep(100);
        }
      }
    }
  }
}

/** cgroupLeftovers lists the directories of `parent` that still exist on some hierarchy (for tests and reports). */
export function cgroupLeftovers(parent: string): string[] {
  const rel = parent.replace(/^\/+|\/+$/g, '');
  return cgroupMounts().map((m) => join(m, rel)).filter((d) => existsSync(d));
}
