import { formatIpv4, parseIpv4 } from '../../proto/ipv4.js';
import type { Ipv4Range } from '../../proto/ipv4.js';
import { HEADLESS, NODE_PORT_RANGE, needsClusterIP, needsNodePorts } from '../../proto/objects/service.js';
import type { Service } from '../../proto/objects/service.js';
import type { ObjectProblem } from '../../proto/validation/index.js';
import { deepCopy } from '../objects/json.js';
import { claimChanges, claimOwner, serviceClaims } from '../objects/service-claims.js';
import type { Claim } from '../objects/service-claims.js';

/**
 * The decisions of Service allocation, as pure functions over what is claimed already: which
 * ClusterIP and nodePorts a Service gets, which it keeps across an update, and which claims the
 * write takes and gives up. service-allocator.ts reads the claims and the API commits the result
 * with the Service, in one transaction.
 */

/** UsedClaims is what is taken already: address or port → the Service that holds it (`namespace/name`). */
export interface UsedClaims {
  ips: Map<string, string>;
  nodePorts: Map<number, string>;
}

/** ClaimChanges: the claims a write takes (new keys) and gives up (deleted keys). */
export interface ClaimChanges {
  take: Claim[];
  release: Claim[];
}

/**
 * AllocationResult says what a Service write becomes:
 * - allocated: the Service with its clusterIP and nodePorts filled in, and its claim changes;
 * - invalid: a requested address or port cannot be had (taken, outside the range) or the range
 *   is full; nothing may be written.
 */
export type AllocationResult = ({ kind: 'allocated'; service: Service } & ClaimChanges) | { kind: 'invalid'; errors: ObjectProblem[] };

/** DEFAULT_SERVICE_CIDR is the range ClusterIPs come from unless --service-cluster-ip-range says otherwise. */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/16';

/**
 * allocateService fills in what the API owns in a Service about to be written (`next`, already
 * merged and defaulted), given the stored one (`live`, absent for a create). As Kubernetes does:
 * an update that leaves clusterIP or a nodePort out keeps the one it had (nodePorts matched by
 * port name), and a change of type drops what the new type no longer uses. `random` picks where
 * to start looking for a free address, so concurrent creators rarely pick the same.
 */
export function allocateService(next: Service, live: Service | undefined, used: UsedClaims, range: Ipv4Range, random: () => number = Math.random): AllocationResult {
  const service = deepCopy(next);
  const spec = service.spec;
  patchServiceUpdate(service, live);
  const errors: ObjectProblem[] = [];

  if (!needsClusterIP(spec)) {
    if (spec.clusterIP === HEADLESS) spec.clusterIPs = [HEADLESS];
    else {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
  } else {
    const ip = spec.clusterIP === undefined ? pickIp(range, used, random) : checkRequestedIp(spec.clusterIP, range, used, live);
    if (ip.kind === 'error') errors.push({ path: 'spec.clusterIP', message: ip.message });
    else {
      spec.clusterIP = ip.value;
      spec.clusterIPs = [ip.value];
    }
  }

  if (needsNodePorts(spec)) errors.push(...assignNodePorts(service, live, used, random));
  else for (const p of spec.ports ?? []) delete p.nodePort;
  if (spec.type !== 'LoadBalancer' && service.status?.loadBalancer) {
    delete service.status.loadBalancer;
    if (Object.keys(service.status).length === 0) delete service.status;
  }
  if (errors.length > 0) return { kind: 'invalid', errors };
  return { kind: 'allocated', service, ...claimChanges(live ? serviceClaims(live) : [], serviceClaims(service)) };
}

/** isAllocated: the stored Service has every address and port its type needs, and none it does not. */
export function isAllocated(service: Service): boolean {
  const spec = service.spec;
  const ipDone = needsClusterIP(spec) ? !!spec.clusterIP && spec.clusterIPs?.[0] === spec.clusterIP : spec.clusterIP !== HEADLESS || spec.clusterIPs?.[0] === HEADLESS;
  const ports = spec.ports ?? [];
  return ipDone && (needsNodePorts(spec) ? ports.every((p) => !!p.nodePort) : ports.every((p) => !p.nodePort));
}

/** markAllocated records a Service's address and ports as used, so the next Service of the same apply does not pick them. */
export function markAllocated(used: UsedClaims, service: Service): void {
  const owner = claimOwner(service);
  if (needsClusterIP(service.spec) && service.spec.clusterIP) used.ips.set(service.spec.clusterIP, owner);
  if (needsNodePorts(service.spec)) for (const p of service.spec.ports ?? []) if (p.nodePort) used.nodePorts.set(p.nodePort, owner);
}

/**
 * patchServiceUpdate is Kubernetes' patchAllocatedValues and dropTypeDependentFields, run on a
 * Service about to be written before it is validated: an empty clusterIP means none was asked
 * for; on an update, values the user left out keep what was allocated, and values the new type
 * cannot use are dropped when the user did not change them.
 */
export function patchServiceUpdate(service: Service, live: Service | undefined): void {
  const spec = service.spec;
  if (spec.clusterIP === '') delete spec.clusterIP;
  // A clusterIPs left as it was follows a changed clusterIP (Kubernetes' normalizeClusterIPs), so the change is judged once.
  const ipsUnchanged = live !== undefined && JSON.stringify(spec.clusterIPs) === JSON.stringify(live.spec.clusterIPs);
  if (live && spec.clusterIP !== undefined && spec.clusterIP !== live.spec.clusterIP && ipsUnchanged) spec.clusterIPs = [spec.clusterIP];
  if (spec.clusterIP === undefined && spec.clusterIPs?.[0]) spec.clusterIP = spec.clusterIPs[0];
  if (!live) return;
  if (needsClusterIP(live.spec) && needsClusterIP(spec) && spec.clusterIP === undefined && live.spec.clusterIP) spec.clusterIP = live.spec.clusterIP;
  if (needsNodePorts(live.spec) && needsNodePorts(spec)) {
    const livePorts = live.spec.ports ?? [];
    const stillUsed = new Set((spec.ports ?? []).map((p) => p.nodePort).filter((n): n is number => !!n));
    const byName = new Map(livePorts.map((p) => [p.name ?? '', p.nodePort]));
    for (const p of spec.ports ?? []) {
      const old = byName.get(p.name ?? '');
      if (!p.nodePort && old && !stillUsed.has(old)) {
        p.nodePort = old;
        stillUsed.add(old);
      }
    }
  }
  if (needsNodePorts(live.spec) && !needsNodePorts(spec)) {
    const liveByName = new Map((live.spec.ports ?? []).map((p) => [p.name ?? '', p.nodePort]));
    for (const p of spec.ports ?? []) if (p.nodePort && liveByName.get(p.name ?? '') === p.nodePort) delete p.nodePort;
  }
  if (spec.type === 'ExternalName' && live.spec.type !== 'ExternalName' && spec.clusterIP === live.spec.clusterIP) {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
}

type IpChoice = { kind: 'ok'; value: string } | { kind: 'error'; message: string };

function checkRequestedIp(ip: string, range: Ipv4Range, used: UsedClaims, live: Service | undefined): IpChoice {
  if (live && needsClusterIP(live.spec) && live.spec.clusterIP === ip) return { kind: 'ok', value: ip };
  const n = parseIpv4(ip);
  const fail = (why: string): IpChoice => ({ kind: 'error', message: `Invalid value: ${JSON.stringify(ip)}: failed to allocate IP ${ip}: ${why}` });
  if (n === undefined || !allocatable(range, n)) return fail(`the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${range.cidr}`);
  const holder = used.ips.get(ip);
  if (holder !== undefined) return fail(`provided IP is already allocated (to service ${holder}); leave spec.clusterIP out to get a free one`);
  return { kind: 'ok', value: ip };
}

/** allocatable: inside the range, and neither its network nor its broadcast address. */
function allocatable(range: Ipv4Range, n: number): boolean {
  const offset = n - range.base;
  return offset >= 0 && offset < range.size && (range.size <= 2 || (offset !== 0 && offset !== range.size - 1));
}

/**
 * pickIp takes a free address, preferring the upper part of the range: as in Kubernetes, the
 * lowest addresses (up to 256) are left for Services that ask for a fixed one, such as the
 * `kubernetes` Service at the first address.
 */
function pickIp(range: Ipv4Range, used: UsedClaims, random: () => number): IpChoice {
  const first = range.size <= 2 ? 0 : 1;
  const last = range.size <= 2 ? range.size - 1 : range.size - 2;
  const staticBand = Math.min(Math.max(16, Math.floor(range.size / 16)), 256);
  const split = Math.min(first + staticBand, last + 1);
  const offset = pickFree([[split, last], [first, split - 1]], (o) => !used.ips.has(formatIpv4(range.base + o)), random);
  if (offset === undefined) return { kind: 'error', message: `Internal error: failed to allocate a service IP: the range ${range.cidr} is full` };
  return { kind: 'ok', value: formatIpv4(range.base + offset) };
}

/** assignNodePorts gives every port of a NodePort or LoadBalancer Service its node port. */
function assignNodePorts(service: Service, live: Service | undefined, used: UsedClaims, random: () => number): ObjectProblem[] {
  const errors: ObjectProblem[] = [];
  const held = new Set(live && needsNodePorts(live.spec) ? (live.spec.ports ?? []).map((p) => p.nodePort).filter((n): n is number => !!n) : []);
  const mine = new Set<number>();
  const ports = service.spec.ports ?? [];
  ports.forEach((p, i) => {
    const path = `spec.ports[${i}].nodePort`;
    if (p.nodePort) {
      const holder = used.nodePorts.get(p.nodePort);
      if (!held.has(p.nodePort) && !mine.has(p.nodePort) && holder !== undefined) {
        errors.push({ path, message: `Invalid value: ${p.nodePort}: provided port is already allocated (to service ${holder}); leave nodePort out to get a free one` });
      }
      mine.add(p.nodePort);
      return;
    }
    // As in Kubernetes, the TCP and UDP ports of one port number share a node port.
    const sibling = ports.find((q) => q !== p && q.port === p.port && q.nodePort)?.nodePort;
    const free = (n: number) => !mine.has(n) && (held.has(n) || !used.nodePorts.has(n));
    const size = NODE_PORT_RANGE.max - NODE_PORT_RANGE.min + 1;
    const staticBand = Math.min(Math.max(16, Math.floor(size / 32)), 128);
    const offset = sibling !== undefined ? sibling - NODE_PORT_RANGE.min : pickFree([[staticBand, size - 1], [0, staticBand - 1]], (o) => free(NODE_PORT_RANGE.min + o), random);
    if (offset === undefined) {
      errors.push({ path, message: `Internal error: failed to allocate a node port: the range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max} is full` });
      return;
    }
    p.nodePort = NODE_PORT_RANGE.min + offset;
    mine.add(p.nodePort);
  });
  return errors;
}

/** pickFree scans each band [from, to] from a random start, wrapping around, for the first free offset. */
function pickFree(bands: [number, number][], isFree: (offset: number) => boolean, random: () => number): number | undefined {
  for (const [from, to] of bands) {
    const count = to - from + 1;
    if (count <= 0) continue;
    const start = Math.floor(random() * count);
    for (let i = 0; i < count; i++) {
      const offset = from + ((start + i) % count);
      if (isFree(offset)) return offset;
    }
  }
  return undefined;
}
