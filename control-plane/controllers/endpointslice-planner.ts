import type { Endpoint, EndpointSlice } from '../../proto/objects/discovery.js';
import { parseIpv4 } from '../../proto/ipv4.js';
import type { Service } from '../../proto/objects/service.js';
import { canonicalJson } from '../objects/json.js';
import { ownerReferenceTo } from './controller-util.js';
import { endpointKey, portsKey, sliceLabels } from './endpoints-logic.js';
import type { EndpointGroup } from './endpoints-logic.js';

/** Endpoints per slice at most, as Kubernetes' --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/** SlicePlan is the writes that bring a Service's slices to what it should have; empty lists mean nothing to write. */
export interface SlicePlan {
  /** New slices (named by the planner, identity still to be given). */
  create: EndpointSlice[];
  /** Slices whose content changes, each at the resourceVersion it was planned from. */
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

interface Kept {
  original: EndpointSlice;
  endpoints: Endpoint[];
}

/**
 * planSlices decides how a Service's endpoints are spread over slices, changing as few slices as
 * it can (Kubernetes' reconciler): an endpoint stays in the slice it is in; endpoints that are
 * gone leave; new ones go first into slices that change anyway, then into one unchanged slice if
 * they all fit there, then into new slices of up to `maxPerSlice`; a slice left empty is deleted,
 * or renamed into a slice that would otherwise be created. A Service with no endpoint at all keeps
 * one empty slice (Kubernetes' placeholder), so "no endpoints" is told apart from "not seen yet".
 * `existing` are the slices this controller keeps for the Service.
 */
export function planSlices(service: Service, groups: ReadonlyMap<string, EndpointGroup>, existing: readonly EndpointSlice[], newName: () => string, maxPerSlice = MAX_ENDPOINTS_PER_SLICE): SlicePlan {
  const placeholder = groups.size === 0;
  const wanted: ReadonlyMap<string, EndpointGroup> = placeholder ? new Map([[portsKey([]), { ports: [], endpoints: [] }]]) : groups;
  const byGroup = new Map<string, EndpointSlice[]>();
  const doomed: EndpointSlice[] = [];
  for (const slice of [...existing].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const key = portsKey(slice.ports);
    if (slice.addressType !== 'IPv4' || !wanted.has(key)) doomed.push(slice);
    else byGroup.set(key, [...(byGroup.get(key) ?? []), slice]);
  }

  const kept: { group: EndpointGroup; slice: Kept }[] = [];
  const fresh: { group: EndpointGroup; endpoints: Endpoint[] }[] = [];
  for (const [key, group] of wanted) {
    const remaining = new Map(group.endpoints.map((e) => [endpointKey(e), e]));
    const mine: Kept[] = [];
    for (const slice of byGroup.get(key) ?? []) {
      const endpoints: Endpoint[] = [];
      for (const e of slice.endpoints ?? []) {
        const k = endpointKey(e);
        const desired = remaining.get(k);
        if (desired && endpoints.length < maxPerSlice) {
          endpoints.push(desired);
          remaining.delete(k);
        }
      }
      if (endpoints.length === 0 && !(placeholder && mine.length === 0)) doomed.push(slice);
      else mine.push({ original: slice, endpoints });
    }
    const left = [...remaining.values()];
    // New endpoints go where a write happens anyway, then into one untouched slice that takes them all.
    const changing = mine.filter((k) => changes(service, group, k));
    for (const k of changing) k.endpoints.push(...left.splice(0, maxPerSlice - k.endpoints.length));
    const roomy = mine.find((k) => !changing.includes(k) && k.endpoints.length + left.length <= maxPerSlice);
    if (left.length > 0 && roomy) roomy.endpoints.push(...left.splice(0));
    while (left.length > 0) fresh.push({ group, endpoints: left.splice(0, maxPerSlice) });
    if (placeholder && mine.length === 0) fresh.push({ group, endpoints: [] });
    kept.push(...mine.map((slice) => ({ group, slice })));
  }

  const plan: SlicePlan = { create: [], update: [], delete: [] };
  for (const { group, slice } of kept) if (changes(service, group, slice)) plan.update.push(build(service, group, slice.endpoints, slice.original));
  for (const { group, endpoints } of fresh) {
    // A slice that would be deleted is reused instead: one update rather than a delete and a create.
    const reused = doomed.pop();
    if (reused) plan.update.push(build(service, group, endpoints, reused));
    else plan.create.push(build(service, group, endpoints, undefined, newName()));
  }
  plan.delete.push(...doomed);
  return plan;
}

/** changes: the slice's content (labels, owner, ports, endpoints) is not what it should be. */
function changes(service: Service, group: EndpointGroup, kept: Kept): boolean {
  return content(kept.original) !== content(build(service, group, kept.endpoints, kept.original));
}

function content(slice: EndpointSlice): string {
  return canonicalJson([slice.metadata.labels ?? {}, slice.metadata.ownerReferences ?? [], slice.addressType, slice.ports ?? [], sortEndpoints(slice.endpoints ?? [])]);
}

function build(service: Service, group: EndpointGroup, endpoints: Endpoint[], original: EndpointSlice | undefined, name?: string): EndpointSlice {
  const metadata = original ? { ...original.metadata } : { name: name as string, namespace: service.metadata.namespace ?? 'default' };
  metadata.labels = sliceLabels(service);
  metadata.ownerReferences = [ownerReferenceTo(service)];
  return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata, addressType: 'IPv4', endpoints: sortEndpoints(endpoints), ports: group.ports };
}

/** sortEndpoints orders endpoints by address, so equal slices are written, and compared, the same way. */
function sortEndpoints(endpoints: readonly Endpoint[]): Endpoint[] {
  const ip = (e: Endpoint) => parseIpv4(e.addresses[0] ?? '') ?? 0;
  return [...endpoints].sort((a, b) => ip(a) - ip(b) || endpointKey(a).localeCompare(endpointKey(b)));
}
