import type { EndpointSlice } from '../../proto/objects/discovery.js';
import type { Service, ServicePort } from '../../proto/objects/service.js';

/** Backend is one endpoint address serving one port of a Service, with its conditions. */
export interface Backend {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** The endpoint's hostname (a pod's spec.hostname under a headless Service's subdomain). */
  hostname?: string;
  nodeName?: string;
}

/** Protocols the proxy and DNS serve; SCTP ports are left alone. */
export type ServedProtocol = 'TCP' | 'UDP';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** isIPv4 tells whether `text` is a dotted-quad IPv4 address. */
export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

/** protocolOf is a port's protocol with Kubernetes' default (TCP); undefined for one not served (SCTP). */
export function protocolOf(port: { protocol?: string }): ServedProtocol | undefined {
  const protocol = port.protocol ?? 'TCP';
  return protocol === 'TCP' || protocol === 'UDP' ? protocol : undefined;
}

/** clusterIPOf is the Service's IPv4 ClusterIP; undefined for a headless Service or one without an address yet. */
export function clusterIPOf(service: Service): string | undefined {
  const ip = service.spec.clusterIP;
  return ip !== undefined && ip !== 'None' && isIPv4(ip) ? ip : undefined;
}

/** isHeadless tells whether the Service asked for no ClusterIP (`clusterIP: None`). */
export function isHeadless(service: Service): boolean {
  return service.spec.clusterIP === 'None';
}

/**
 * backendsOf lists the endpoints serving one port of a Service: every IPv4 address of the
 * Service's slices whose port of the same name and protocol has a number, each address and
 * port once. Conditions are read as Kubernetes' proxies read them: a missing `ready` is true, a
 * missing `serving` is `ready`, a missing `terminating` is false.
 */
export function backendsOf(port: Pick<ServicePort, 'name' | 'protocol'>, slices: readonly EndpointSlice[]): Backend[] {
  const name = port.name ?? '';
  const protocol = port.protocol ?? 'TCP';
  const out = new Map<string, Backend>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const number = slice.ports?.find((p) => (p.name ?? '') === name && (p.protocol ?? 'TCP') === protocol)?.port;
    if (number === undefined || !Number.isInteger(number) || number < 1 || number > 65535) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const ready = endpoint.conditions?.ready ?? true;
      const serving = endpoint.conditions?.serving ?? ready;
      const terminating = endpoint.conditions?.terminating ?? false;
      for (const ip of endpoint.addresses ?? []) {
        if (!isIPv4(ip) || out.has(`${ip}:${number}`)) continue;
        out.set(`${ip}:${number}`, {
          ip,
          port: number,
          ready,
          serving,
          terminating,
          ...(endpoint.hostname ? { hostname: endpoint.hostname } : {}),
          ...(endpoint.nodeName ? { nodeName: endpoint.nodeName } : {}),
        });
      }
    }
  }
  return [...out.values()];
}

/**
 * trafficBackends are the backends new connections go to: the ready ones; when none is ready,
 * those still serving while they terminate (Kubernetes' proxies do the same, so a rolling
 * update whose old pods still drain does not refuse connections).
 */
export function trafficBackends(backends: readonly Backend[]): Backend[] {
  const ready = backends.filter((b) => b.ready);
  return ready.length > 0 ? ready : backends.filter((b) => b.serving && b.terminating);
}
