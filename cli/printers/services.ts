import type { EndpointSlice } from '../../proto/objects/discovery.js';
import type { Service } from '../../proto/objects/service.js';

/** How Services and EndpointSlices read in `berth get` and `berth describe`, in kubectl's words. */

/** kubectl cuts the EXTERNAL-IP column at 16 characters unless -o wide. */
const LOAD_BALANCER_WIDTH = 16;
/** kubectl lists at most 3 endpoints, then "+ N more...". */
const MAX_LISTED = 3;

/** clusterIpText is the CLUSTER-IP column: the address, `None` for a headless Service, `<none>` for ExternalName. */
export function clusterIpText(s: Service): string {
  return s.spec.clusterIPs?.[0] ?? s.spec.clusterIP ?? '<none>';
}

/** externalIpText is the EXTERNAL-IP column: a LoadBalancer's ingress (`<pending>` until it has one), an ExternalName's name. */
export function externalIpText(s: Service, wide: boolean): string {
  switch (s.spec.type ?? 'ClusterIP') {
    case 'LoadBalancer': {
      const ingress = [...new Set((s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter((x) => x !== ''))].sort();
      if (ingress.length === 0) return '<pending>';
      const text = ingress.join(',');
      return !wide && text.length > LOAD_BALANCER_WIDTH ? `${text.slice(0, LOAD_BALANCER_WIDTH - 3)}...` : text;
    }
    case 'ExternalName':
      return s.spec.externalName ?? '<none>';
    default:
      return '<none>';
  }
}

/** servicePortsText is the PORT(S) column: `80/TCP`, or `80:30080/TCP` with a node port. */
export function servicePortsText(s: Service): string {
  const ports = s.spec.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',');
}

function listWithMore(list: string[], empty: string): string {
  if (list.length === 0) return empty;
  const shown = list.slice(0, MAX_LISTED).join(',');
  return list.length > MAX_LISTED ? `${shown} + ${list.length - MAX_LISTED} more...` : shown;
}

/** slicePortsText is the PORTS column of an EndpointSlice (`<unset>` when it has none). */
export function slicePortsText(slice: EndpointSlice): string {
  return listWithMore((slice.ports ?? []).map((p) => (p.port !== undefined ? String(p.port) : p.name || '*')), '<unset>');
}

/** sliceEndpointsText is the ENDPOINTS column of an EndpointSlice: its addresses, ready or not. */
export function sliceEndpointsText(slice: EndpointSlice): string {
  return listWithMore(slice.endpoints.flatMap((e) => e.addresses), '<unset>');
}

/**
 * serviceEndpointsText is describe's `Endpoints:` line for one Service port: the ready
 * endpoints of its slices as `ip:port` (just `ip` for slices without ports), `<none>` when the
 * Service has no slices.
 */
export function serviceEndpointsText(slices: readonly EndpointSlice[], portName: string): string {
  if (slices.length === 0) return '<none>';
  const list: string[] = [];
  for (const slice of slices) {
    const ready = slice.endpoints.filter((e) => e.conditions?.ready !== false);
    if ((slice.ports ?? []).length === 0) {
      list.push(...ready.map((e) => e.addresses[0] ?? ''));
      continue;
    }
    for (const port of slice.ports ?? []) {
      if ((port.name ?? '') === portName) list.push(...ready.map((e) => `${e.addresses[0] ?? ''}:${port.port ?? ''}`));
    }
  }
  return listWithMore(list, '');
}
