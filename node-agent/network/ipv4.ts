/**
 * IPv4 arithmetic for the node's pod network: parse and check CIDRs, find a subnet's gateway
 * (its first address). Pure; errors name the text that is wrong.
 */

/** Ipv4Cidr is a parsed IPv4 network: its address as a number and its prefix length. */
export interface Ipv4Cidr {
  base: number;
  prefix: number;
}

/** parseIpv4 reads a dotted quad; it throws naming the text when it is none. */
export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`'${text}' is not an IPv4 address`);
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** formatIpv4 writes a number as a dotted quad. */
export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** parseCidr reads `a.b.c.d/len`, a network address (no host bits) with a prefix of 0–32. */
export function parseCidr(text: string): Ipv4Cidr {
  const [ip = '', len = '', ...rest] = text.split('/');
  const prefix = Number(len);
  if (rest.length > 0 || !/^\d{1,2}$/.test(len) || prefix > 32) throw new Error(`'${text}' is not an IPv4 CIDR such as 10.244.1.0/24`);
  const base = parseIpv4(ip);
  if ((base & mask(prefix)) >>> 0 !== base) throw new Error(`'${text}' has host bits set; the network is ${formatIpv4((base & mask(prefix)) >>> 0)}/${prefix}`);
  return { base, prefix };
}

/** gatewayOf is the first address of a subnet (10.244.1.0/24 → 10.244.1.1), the pods' gateway. */
export function gatewayOf(cidr: string): string {
  const { base, prefix } = parseCidr(cidr);
  if (prefix > 30) throw new Error(`pod CIDR ${cidr} is too small: it has no room for a gateway and pods`);
  return formatIpv4(base + 1);
}

/** cidrContains tells whether address `ip` lies in `cidr`. */
export function cidrContains(cidr: string, ip: string): boolean {
  const { base, prefix } = parseCidr(cidr);
  return ((parseIpv4(ip) & mask(prefix)) >>> 0) === base;
}

/** podAddressCount is how many pods a pod CIDR can address: every address but the network's, the broadcast and the gateway. */
export function podAddressCount(cidr: string): number {
  const { prefix } = parseCidr(cidr);
  return Math.max(0, 2 ** (32 - prefix) - 3);
}
