/**
 * IPv4 addresses and ranges as numbers: used to validate Service addresses and to hand out
 * ClusterIPs from the service range. Pure functions, shared by every side of the contract.
 */

/** Ipv4Range is a CIDR as numbers: `base` is the network address, `size` how many addresses it spans. */
export interface Ipv4Range {
  cidr: string;
  base: number;
  prefix: number;
  size: number;
}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** parseIpv4 reads `a.b.c.d` (no leading zeros, as Go's net.ParseIP); undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const m = DOTTED_QUAD.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map((p) => (p.length > 1 && p.startsWith('0') ? NaN : Number(p)));
  if (parts.some((p) => !Number.isInteger(p) || p > 255)) return undefined;
  return (((parts[0] as number) << 24) | ((parts[1] as number) << 16) | ((parts[2] as number) << 8) | (parts[3] as number)) >>> 0;
}

/** formatIpv4 writes a number as `a.b.c.d`. */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** parseIpv4Cidr reads `a.b.c.d/p`; undefined when it is not an IPv4 CIDR. The host bits are dropped. */
export function parseIpv4Cidr(cidr: string): Ipv4Range | undefined {
  const [ip, bits, extra] = cidr.split('/');
  if (ip === undefined || bits === undefined || extra !== undefined || !/^\d{1,2}$/.test(bits)) return undefined;
  const address = parseIpv4(ip);
  const prefix = Number(bits);
  if (address === undefined || prefix > 32) return undefined;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const base = (address & mask) >>> 0;
  return { cidr: `${formatIpv4(base)}/${prefix}`, base, prefix, size: 2 ** (32 - prefix) };
}

/** inRange: the address lies in the range (network and broadcast addresses included). */
export function inRange(range: Ipv4Range, address: number): boolean {
  return address >= range.base && address < range.base + range.size;
}
