/**
 * The lab network of a local cluster (docs/architecture.md section 10): one Linux bridge in the host network
 * namespace holding the first address of the lab subnet, and one network namespace per node,
 * joined to the bridge by a veth pair, with the address .(10+i), loopback up and a default
 * route via the bridge. The control plane and the registry listen on the bridge address, so
 * every node reaches them over the bridge on one L2 segment: no IP forwarding and no NAT on the
 * host are needed, and no other interface of the host is touched.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { CliError } from '../errors.js';
import { sh, shQuiet } from './host-commands.js';

/** LabSubnet is an IPv4 subnet (/16 to /28) given as `a.b.c.d/len`. */
export interface LabSubnet {
  cidr: string;
  base: number;
  prefix: number;
}

/** NodeNetwork is how one node sits on the lab network. */
export interface NodeNetwork {
  /** The node's network namespace, `berth-<cluster>-node-<i>`. */
  netns: string;
  /** The host end of its veth pair (the other end is eth0 inside the namespace). */
  hostVeth: string;
  ip: string;
}

const toIp = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

function fromIp(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** parseLabCidr validates --lab-cidr: an IPv4 network address with a prefix between 16 and 28. */
export function parseLabCidr(cidr: string): LabSubnet {
  const [ip = '', len = ''] = cidr.split('/');
  const base = fromIp(ip);
  const prefix = Number(len);
  if (base === undefined || !/^\d+$/.test(len) || prefix < 16 || prefix > 28) {
    throw new CliError(`--lab-cidr "${cidr}" is not an IPv4 subnet between /16 and /28, e.g. 10.213.0.0/24`);
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((base & mask) >>> 0 !== base) throw new CliError(`--lab-cidr "${cidr}" has host bits set; did you mean ${toIp((base & mask) >>> 0)}/${prefix}?`);
  return { cidr, base, prefix };
}

/** bridgeIp is the subnet's first address (.1), where the control plane and registry listen. */
export function bridgeIp(subnet: LabSubnet): string {
  return toIp(subnet.base + 1);
}

/** nodeIp is node i's address, .(10+i); it fails when the subnet is too small for that many nodes. */
export function nodeIp(subnet: LabSubnet, i: number): string {
  const size = 2 ** (32 - subnet.prefix);
  if (10 + i >= size - 1) throw new CliError(`--lab-cidr ${subnet.cidr} has no room for node ${i} (at .${10 + i}); use a larger subnet`);
  return toIp(subnet.base + 10 + i);
}

function overlaps(a: { base: number; prefix: number }, b: { base: number; prefix: number }): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
  return ((a.base & mask) >>> 0) === ((b.base & mask) >>> 0);
}

/** routeOverlaps tells whether a route destination (`a.b.c.d/len`, `a.b.c.d` or `default`) overlaps the subnet; `default` never does. */
export function routeOverlaps(subnet: LabSubnet, dst: string): boolean {
  if (dst === 'default') return false;
  const [ip = '', len = '32'] = dst.split('/');
  const base = fromIp(ip);
  return base !== undefined && overlaps(subnet, { base, prefix: Number(len) });
}

/** The ranges the cluster itself uses (the control plane's defaults, which berth up keeps): pod CIDRs and ClusterIPs. */
const CLUSTER_RANGES = [
  { cidr: '10.244.0.0/16', what: 'the pods\' addresses' },
  { cidr: '10.96.0.0/16', what: 'the Services\' ClusterIPs' },
] as const;

/** clusterRangeOverlapping names the cluster's own range the subnet overlaps, if any: nodes there would route their own pods' traffic to the lab. */
export function clusterRangeOverlapping(subnet: LabSubnet): (typeof CLUSTER_RANGES)[number] | undefined {
  return CLUSTER_RANGES.find((r) => routeOverlaps(subnet, r.cidr));
}

/** checkLabCidrFree fails with a clear message when a route or address of this host, or a range of the cluster itself, overlaps the subnet. */
export async function checkLabCidrFree(subnet: LabSubnet): Promise<void> {
  const taken = clusterRangeOverlapping(subnet);
  if (taken) throw new CliError(`--lab-cidr ${subnet.cidr} overlaps ${taken.cidr}, ${taken.what} in the cluster; choose another subnet with --lab-cidr`);
  const routes = JSON.parse(await sh('ip', ['-j', '-4', 'route', 'show'])) as Array<{ dst: string; dev?: string }>;
  for (const r of routes) {
    if (routeOverlaps(subnet, r.dst)) {
      throw new CliError(`--lab-cidr ${subnet.cidr} collides with the route "${r.dst}${r.dev ? ` dev ${r.dev}` : ''}" of this machine; choose another subnet with --lab-cidr`);
    }
  }
}

/** labNames derives the bridge and per-node names from the cluster name (interface names are at most 15 bytes). */
export function labNames(cluster: string): { bridge: string; netns: (i: number) => string; hostVeth: (i: number) => string } {
  const hex = createHash('sha256').update(cluster).digest('hex').slice(0, 6);
  return {
    bridge: `brth-${hex}`,
    netns: (i) => `berth-${cluster}-node-${i}`,
    hostVeth: (i) => `bv${hex}n${i}`,
  };
}

async function linkExists(name: string): Promise<boolean> {
  return shQuiet('ip', ['link', 'show', 'dev', name]);
}

/**
 * ensureBridgeAbsent fails when the bridge name is taken. Call it BEFORE recording the bridge:
 * teardown removes what is recorded, and must never remove another cluster's bridge.
 */
export async function ensureBridgeAbsent(bridge: string): Promise<void> {
  if (await linkExists(bridge)) throw new CliError(`the network interface ${bridge} already exists: another local cluster uses this name; choose another --name or run berth down for it`);
}

/** ensureNetnsAbsent fails when the node's namespace exists already (same rule as ensureBridgeAbsent). */
export function ensureNetnsAbsent(netns: string): void {
  if (existsSync(`/run/netns/${netns}`)) throw new CliError(`the network namespace ${netns} already exists: another local cluster uses this name; choose another --name or run berth down for it`);
}

/** createBridge adds the lab bridge with the subnet's .1 and brings it up. */
export async function createBridge(bridge: string, subnet: LabSubnet): Promise<void> {
  await sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await sh('ip', ['addr', 'add', `${bridgeIp(subnet)}/${subnet.prefix}`, 'dev', bridge]);
  await sh('ip', ['link', 'set', bridge, 'up']);
}

/** createNodeNamespace makes the node's namespace and veth pair; the caller records it first, so a failure here is undone by teardown. */
export async function createNodeNamespace(node: NodeNetwork, bridge: string, subnet: LabSubnet): Promise<void> {
  await sh('ip', ['netns', 'add', node.netns]);
  await sh('ip', ['link', 'add', node.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns]);
  await sh('ip', ['link', 'set', node.hostVeth, 'master', bridge, 'up']);
  await sh('ip', ['-n', node.netns, 'link', 'set', 'lo', 'up']);
  await sh('ip', ['-n', node.netns, 'addr', 'add', `${node.ip}/${subnet.prefix}`, 'dev', 'eth0']);
  await sh('ip', ['-n', node.netns, 'link', 'set', 'eth0', 'up']);
  await sh('ip', ['-n', node.netns, 'route', 'add', 'default', 'via', bridgeIp(subnet)]);
}

/** removeNodeNamespace deletes the namespace (which takes its veth pair along) and the host veth if it outlived it. Idempotent. */
export async function removeNodeNamespace(node: Pick<NodeNetwork, 'netns' | 'hostVeth'>): Promise<void> {
  if (existsSync(`/run/netns/${node.netns}`)) await sh('ip', ['netns', 'del', node.netns]);
  if (await linkExists(node.hostVeth)) {
    try {
      await sh('ip', ['link', 'del', node.hostVeth]);
    } catch (err) {
      // The kernel frees a deleted namespace (and its veth pair) asynchronously: gone meanwhile is done.
      if (await linkExists(node.hostVeth)) throw err;
    }
  }
}

/** removeBridge deletes the lab bridge. Idempotent. */
export async function removeBridge(bridge: string): Promise<void> {
  if (await linkExists(bridge)) await sh('ip', ['link', 'del', bridge]);
}

/** listNetns lists the names of the host's named network namespaces (`ip netns list`). */
export async function listNetns(): Promise<string[]> {
  const out = await sh('ip', ['netns', 'list']);
  return out.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
}
