/**
 * The DNS records of one Service, as the Kubernetes DNS specification (kubernetes/dns
 * docs/specification.md, schema 1.0.1) defines them, as plain data (no I/O).
 */
import type { EndpointSlice } from '../../proto/objects/discovery.js';
import type { Service } from '../../proto/objects/service.js';
import { backendsOf, clusterIPOf, isHeadless, isIPv4, protocolOf } from '../services/endpoints.js';
import { encodeName, ipv4Data, srvData, TYPE } from './wire.js';

/** RawRecord is one record before encoding: owner name (lower case, no final dot), type, data, and records for the additional section. */
export interface RawRecord {
  name: string;
  type: number;
  data: Buffer;
  additional?: Array<{ name: string; type: number; data: Buffer }>;
}

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** reverseName is the in-addr.arpa name of an IPv4 address. */
export function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

/** An endpoint of a headless Service as DNS names it: its hostname, or its address with dashes. */
interface NamedEndpoint {
  host: string;
  ips: string[];
}

function namedEndpoints(service: Service, slices: readonly EndpointSlice[]): NamedEndpoint[] {
  const all = service.spec.publishNotReadyAddresses === true;
  const byHost = new Map<string, Set<string>>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (!all && endpoint.conditions?.ready === false) continue;
      const ips = (endpoint.addresses ?? []).filter(isIPv4);
      const [first] = ips;
      if (first === undefined) continue;
      const host = (endpoint.hostname ?? first.replace(/\./g, '-')).toLowerCase();
      if (!LABEL.test(host)) continue;
      const set = byHost.get(host) ?? new Set<string>();
      for (const ip of ips) set.add(ip);
      byHost.set(host, set);
    }
  }
  return [...byHost].map(([host, ips]) => ({ host, ips: [...ips] }));
}

/**
 * serviceRecords are the records of a Service in the cluster domain `domain`:
 * - with a ClusterIP: `<svc>.<ns>.svc.<domain>` A, its PTR, and for each named TCP/UDP port
 *   `_<port>._<proto>.<svc>.<ns>.svc.<domain>` SRV pointing at the Service name;
 * - headless: an A record per ready endpoint address at the Service name and at
 *   `<hostname>.<svc>.<ns>.svc.<domain>` (the endpoint's hostname, or its address with dashes),
 *   PTRs to those names, and SRV records per named port and endpoint; with no ready endpoint,
 *   nothing (the name answers NXDOMAIN, as the specification says);
 * - a Service without an address yet (or ExternalName, not served here): nothing.
 */
export function serviceRecords(service: Service | undefined, slices: readonly EndpointSlice[], domain: string): RawRecord[] {
  if (!service) return [];
  const namespace = (service.metadata.namespace ?? 'default').toLowerCase();
  const name = service.metadata.name.toLowerCase();
  if (!LABEL.test(namespace) || !LABEL.test(name)) return [];
  const base = `${name}.${namespace}.svc.${domain}`;
  const out: RawRecord[] = [];
  const clusterIP = clusterIPOf(service);
  const namedPorts = (service.spec.ports ?? []).flatMap((port) => {
    const protocol = protocolOf(port);
    const portName = port.name?.toLowerCase();
    return protocol && portName && LABEL.test(portName) ? [{ port, owner: `_${portName}._${protocol.toLowerCase()}.${base}` }] : [];
  });
  if (clusterIP !== undefined) {
    const a = { name: base, type: TYPE.A, data: ipv4Data(clusterIP) };
    out.push(a, { name: reverseName(clusterIP), type: TYPE.PTR, data: encodeName(base) });
    for (const { port, owner } of namedPorts) out.push({ name: owner, type: TYPE.SRV, data: srvData(0, 100, port.port, base), additional: [a] });
    return out;
  }
  if (!isHeadless(service)) return out;
  const hostOf = new Map<string, string>();
  const baseIPs = new Set<string>();
  for (const { host, ips } of namedEndpoints(service, slices)) {
    const fqdn = `${host}.${base}`;
    for (const ip of ips) {
      hostOf.set(ip, fqdn);
      baseIPs.add(ip);
      out.push({ name: fqdn, type: TYPE.A, data: ipv4Data(ip) }, { name: reverseName(ip), type: TYPE.PTR, data: encodeName(fqdn) });
    }
  }
  for (const ip of baseIPs) out.push({ name: base, type: TYPE.A, data: ipv4Data(ip) });
  for (const { port, owner } of namedPorts) {
    for (const backend of backendsOf(port, slices)) {
      const target = hostOf.get(backend.ip);
      if (target === undefined) continue;
      out.push({ name: owner, type: TYPE.SRV, data: srvData(0, 100, backend.port, target), additional: [{ name: target, type: TYPE.A, data: ipv4Data(backend.ip) }] });
    }
  }
  return out;
}
