import type { BerthObject } from '../../proto/objects/meta.js';
import { needsClusterIP, needsNodePorts } from '../../proto/objects/service.js';
import type { Service } from '../../proto/objects/service.js';

/**
 * Claims are how a Service holds its ClusterIP and nodePorts: one etcd key per address and per
 * node port, outside /berth/<resource>/ so no list sees them, whose value names the Service
 * (`namespace/name`). A claim is created, on the condition that its key is absent, in the same
 * transaction as the Service write that takes it, and deleted in the same transaction as the
 * write that gives it up (the Service's deletion, or an update that no longer needs it), on the
 * condition that it still names that Service. So two Services never share an address or a port,
 * and a claim never outlives its Service.
 */

/** One key per ClusterIP: `/berth-internal/serviceips/10.96.0.10`. */
export const SERVICE_IP_CLAIM_PREFIX = '/berth-internal/serviceips/';
/** One key per node port: `/berth-internal/nodeports/30080` (TCP and UDP of one Service share it). */
export const NODE_PORT_CLAIM_PREFIX = '/berth-internal/nodeports/';

/** Claim is one claim key and the Service that holds it. */
export interface Claim {
  key: string;
  owner: string;
}

/** claimOwner is how a claim names its Service. */
export function claimOwner(service: Pick<BerthObject, 'metadata'>): string {
  return `${service.metadata.namespace ?? 'default'}/${service.metadata.name}`;
}

export function serviceIpClaimKey(ip: string): string {
  return SERVICE_IP_CLAIM_PREFIX + ip;
}

export function nodePortClaimKey(port: number): string {
  return NODE_PORT_CLAIM_PREFIX + String(port);
}

/** serviceClaims lists the claims a stored Service holds: its ClusterIP and each distinct nodePort. */
export function serviceClaims(service: Service): Claim[] {
  const owner = claimOwner(service);
  const claims: Claim[] = [];
  const ip = service.spec.clusterIP;
  if (needsClusterIP(service.spec) && ip) claims.push({ key: serviceIpClaimKey(ip), owner });
  if (needsNodePorts(service.spec)) {
    const ports = new Set((service.spec.ports ?? []).map((p) => p.nodePort).filter((p): p is number => !!p));
    for (const port of ports) claims.push({ key: nodePortClaimKey(port), owner });
  }
  return claims;
}

/** heldClaims lists the claims any object holds: a Service's, none for other kinds. */
export function heldClaims(object: BerthObject): Claim[] {
  return object.kind === 'Service' && object.spec ? serviceClaims(object as Service) : [];
}

/** claimChanges says which claims a write from `before` to `after` takes and which it gives up. */
export function claimChanges(before: Claim[], after: Claim[]): { take: Claim[]; release: Claim[] } {
  const had = new Set(before.map((c) => c.key));
  const has = new Set(after.map((c) => c.key));
  return { take: after.filter((c) => !had.has(c.key)), release: before.filter((c) => !has.has(c.key)) };
}
