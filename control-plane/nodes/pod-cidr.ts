/**
 * Pod CIDR arithmetic: the cluster CIDR (10.244.0.0/16 by default) is cut into one /24 per
 * node, handed out first free. Pure functions; pod-cidr-allocator.ts commits the choice.
 */

/** The cluster-wide range pod CIDRs are cut from, as in kubeadm's flannel default. */
export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';
/** Each node's share: 254 pod addresses. */
export const NODE_CIDR_PREFIX = 24;

/** PodCidrExhaustedError is thrown when every /24 of the cluster CIDR belongs to a node. */
export class PodCidrExhaustedError extends Error {
  override name = 'PodCidrExhaustedError';
  constructor(readonly clusterCidr: string) {
    super(`no free pod CIDR left in ${clusterCidr}: remove nodes that are gone or use a larger cluster CIDR`);
  }
}

function parseIpv4(text: string): number {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`'${text}' is not an IPv4 address`);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** parseCidr splits `a.b.c.d/p` into its network address (as a number) and prefix length. */
export function parseCidr(cidr: string): { base: number; prefix: number } {
  const [ip, bits] = cidr.split('/');
  const prefix = Number(bits);
  if (ip === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`'${cidr}' is not an IPv4 CIDR`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (parseIpv4(ip) & mask) >>> 0, prefix };
}

/** isNodeCidrOf tells whether `cidr` is, written exactly so, one node's /24 of `clusterCidr` (what the allocator hands out). */
export function isNodeCidrOf(cidr: string, clusterCidr = DEFAULT_CLUSTER_CIDR): boolean {
  let parsed: { base: number; prefix: number };
  try {
    parsed = parseCidr(cidr);
  } catch {
    return false;
  }
  const cluster = parseCidr(clusterCidr);
  const mask = cluster.prefix === 0 ? 0 : (0xffffffff << (32 - cluster.prefix)) >>> 0;
  return parsed.prefix === NODE_CIDR_PREFIX && `${formatIpv4(parsed.base)}/${parsed.prefix}` === cidr && ((parsed.base & mask) >>> 0) === cluster.base;
}

/**
 * firstFreeNodeCidr returns the lowest /24 of `clusterCidr` not in `used`, or throws
 * PodCidrExhaustedError.
 */
export function firstFreeNodeCidr(used: Iterable<string>, clusterCidr = DEFAULT_CLUSTER_CIDR): string {
  const taken = new Set(used);
  const { base, prefix } = parseCidr(clusterCidr);
  if (prefix > NODE_CIDR_PREFIX) throw new Error(`cluster CIDR ${clusterCidr} is smaller than one node's /${NODE_CIDR_PREFIX}`);
  const count = 2 ** (NODE_CIDR_PREFIX - prefix);
  const step = 2 ** (32 - NODE_CIDR_PREFIX);
  for (let i = 0; i < count; i++) {
    const candidate = `${formatIpv4((base + i * step) >>> 0)}/${NODE_CIDR_PREFIX}`;
    if (!taken.has(candidate)) return candidate;
  }
  throw new PodCidrExhaustedError(clusterCidr);
}
