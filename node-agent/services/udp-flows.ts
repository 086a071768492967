/**
 * UDP has no connections the kernel could end: a conntrack entry keeps sending a client's
 * datagrams where its first one went for as long as they keep coming. So, as Kubernetes' proxies
 * do, entries are deleted when a UDP endpoint goes (or they would keep reaching a gone pod), and
 * when a UDP Service port gets its first endpoint (entries made while it had none were never
 * translated). This file computes which, as plain data; the proxy runs them.
 */
import type { EndpointSlice } from '../../proto/objects/discovery.js';
import type { Service } from '../../proto/objects/service.js';
import { backendsOf, clusterIPOf, protocolOf, trafficBackends } from './endpoints.js';
import { loadBalancerIPs } from './nft-plan.js';

/** UdpFrontend is where clients send a UDP Service port: an address and port, or a NodePort (any local address). */
export interface UdpFrontend {
  /** Undefined for a NodePort. */
  ip?: string;
  port: number;
  /** The endpoint addresses it sends new flows to. */
  backends: string[];
}

/** ConntrackDeletion selects conntrack entries to delete: UDP to `dst` (any when absent):`port`, translated to `dnat` (any when absent). */
export interface ConntrackDeletion {
  dst?: string;
  port: number;
  dnat?: string;
}

/** udpFrontends lists the UDP frontends of a Service with their current backends. */
export function udpFrontends(service: Service | undefined, slices: readonly EndpointSlice[]): UdpFrontend[] {
  if (!service) return [];
  const clusterIP = clusterIPOf(service);
  if (clusterIP === undefined) return [];
  const out: UdpFrontend[] = [];
  const type = service.spec.type ?? 'ClusterIP';
  for (const port of service.spec.ports ?? []) {
    if (protocolOf(port) !== 'UDP') continue;
    const backends = [...new Set(trafficBackends(backendsOf(port, slices)).map((b) => b.ip))];
    out.push({ ip: clusterIP, port: port.port, backends });
    if (type === 'LoadBalancer') for (const ip of loadBalancerIPs(service)) out.push({ ip, port: port.port, backends });
    if ((type === 'NodePort' || type === 'LoadBalancer') && port.nodePort) out.push({ port: port.nodePort, backends });
  }
  return out;
}

const keyOf = (f: Pick<UdpFrontend, 'ip' | 'port'>) => `${f.ip ?? '*'}:${f.port}`;

/** staleFlows are the deletions a change of a Service's UDP frontends calls for. */
export function staleFlows(before: readonly UdpFrontend[], after: readonly UdpFrontend[]): ConntrackDeletion[] {
  const now = new Map(after.map((f) => [keyOf(f), f]));
  const was = new Map(before.map((f) => [keyOf(f), f]));
  const out: ConntrackDeletion[] = [];
  const at = (f: UdpFrontend) => ({ ...(f.ip !== undefined ? { dst: f.ip } : {}), port: f.port });
  for (const f of before) {
    const kept = new Set(now.get(keyOf(f))?.backends ?? []);
    for (const ip of f.backends) if (!kept.has(ip)) out.push({ ...at(f), dnat: ip });
  }
  for (const f of after) {
    if (f.backends.length > 0 && (was.get(keyOf(f))?.backends.length ?? 0) === 0) out.push(at(f));
  }
  return out;
}
