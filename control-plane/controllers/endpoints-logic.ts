import { isReady } from '../../proto/objects/conditions.js';
import { MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from '../../proto/objects/discovery.js';
import type { Endpoint, EndpointPort, EndpointSlice } from '../../proto/objects/discovery.js';
import type { Pod } from '../../proto/objects/pod.js';
import { HEADLESS } from '../../proto/objects/service.js';
import type { Endpoints, Service, ServicePort } from '../../proto/objects/service.js';
import { parseIpv4 } from '../../proto/ipv4.js';
import { canonicalJson } from '../objects/json.js';

/**
 * The pure decisions of the endpoints controller about pods (tested without etcd): which pods
 * back a Service, what endpoint each becomes, and which ports it serves. Kubernetes' rules (its
 * EndpointSlice controller's): a pod is an endpoint once it has an IP and until it is
 * finished; a terminating pod stays, marked terminating, so proxies can drain it. A Service
 * without a selector gets the endpoints of the v1 Endpoints of its name, if a user wrote one.
 */

/** The manager label value of the slices this controller keeps. */
export const ENDPOINTSLICE_CONTROLLER = 'endpointslice-controller.berth.dev';
/** Kubernetes' label on the slices of a headless Service. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/** EndpointGroup is the endpoints that serve the same resolved ports, which share slices. */
export interface EndpointGroup {
  ports: EndpointPort[];
  endpoints: Endpoint[];
}

/**
 * selectsPods: the controller keeps slices for Services with a selector, as Kubernetes does. An
 * empty selector counts as none here (Kubernetes would select every pod of the namespace).
 */
export function selectsPods(service: Service): boolean {
  return service.spec.type !== 'ExternalName' && Object.keys(service.spec.selector ?? {}).length > 0;
}

/** selects: the Service's selector matches the pod (same namespace, every label equal). */
export function selects(service: Service, pod: Pod): boolean {
  if ((pod.metadata.namespace ?? 'default') !== (service.metadata.namespace ?? 'default')) return false;
  const labels = pod.metadata.labels ?? {};
  return Object.entries(service.spec.selector ?? {}).every(([k, v]) => labels[k] === v);
}

/** podAddress is the pod's IPv4 address, once it has one. */
export function podAddress(pod: Pod): string | undefined {
  const candidates = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)];
  return candidates.find((ip): ip is string => !!ip && parseIpv4(ip) !== undefined);
}

/**
 * podEndpoint is what a pod contributes to a Service, or undefined when it contributes nothing
 * (no address yet, or finished). terminating: the pod has a deletionTimestamp; serving: the
 * pod's Ready condition is True and it is not terminating; ready: serving (always for a pod that
 * is not terminating, with publishNotReadyAddresses).
 *
 * Kubernetes keeps a terminating pod `serving` while it is Ready, so proxies may fall back to it.
 * Berth takes it out of service the moment it is deleted: its agent waits until every node's
 * proxy has dropped it before stopping it (drain before kill), which a fallback would defeat.
 */
export function podEndpoint(pod: Pod, service: Service): Endpoint | undefined {
  const address = podAddress(pod);
  const phase = pod.status?.phase;
  if (!address || phase === 'Succeeded' || phase === 'Failed') return undefined;
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  const serving = isReady(pod) && !terminating;
  const ready = !terminating && (service.spec.publishNotReadyAddresses === true || serving);
  const endpoint: Endpoint = {
    addresses: [address],
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) },
  };
  if (pod.spec.nodeName) endpoint.nodeName = pod.spec.nodeName;
  // As Kubernetes: a pod's hostname is published when its subdomain names this Service.
  if (pod.spec.hostname && pod.spec.subdomain === service.metadata.name) endpoint.hostname = pod.spec.hostname;
  return endpoint;
}

/**
 * endpointPorts resolves the Service's ports for one pod: a numeric targetPort as it is, a named
 * one to the pod's container port of that name and protocol. A port the pod does not have is
 * left out of its endpoint's ports (so the pod lands in a slice without it), as Kubernetes does.
 */
export function endpointPorts(service: Service, pod: Pod): EndpointPort[] {
  const ports: EndpointPort[] = [];
  for (const sp of service.spec.ports ?? []) {
    const number = resolveTargetPort(sp, pod);
    if (number === undefined) continue;
    ports.push({ name: sp.name ?? '', port: number, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
  }
  return ports;
}

function resolveTargetPort(sp: ServicePort, pod: Pod): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  const protocol = sp.protocol ?? 'TCP';
  for (const c of pod.spec.containers) {
    const match = (c.ports ?? []).find((p) => p.name === target && (p.protocol ?? 'TCP') === protocol);
    if (match) return match.containerPort;
  }
  return undefined;
}

/** portsKey names a set of resolved ports: endpoints with the same key share slices. */
export function portsKey(ports: readonly EndpointPort[] | undefined): string {
  return canonicalJson(ports ?? []);
}

/** endpointKey identifies an endpoint across plans: its pod, or its address when it has no pod. */
export function endpointKey(endpoint: Endpoint): string {
  return endpoint.targetRef?.uid ?? `${endpoint.targetRef?.name ?? ''}@${endpoint.addresses[0] ?? ''}`;
}

/** desiredGroups computes every endpoint a Service should have, grouped by resolved ports. */
export function desiredGroups(service: Service, pods: readonly Pod[]): Map<string, EndpointGroup> {
  const groups = new Map<string, EndpointGroup>();
  for (const pod of pods) {
    if (!selects(service, pod)) continue;
    const endpoint = podEndpoint(pod, service);
    if (!endpoint) continue;
    const ports = endpointPorts(service, pod);
    const key = portsKey(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, endpoints: [] }));
    group.endpoints.push(endpoint);
  }
  return groups;
}

/**
 * mirroredGroups turns the v1 Endpoints a user wrote for a Service without a selector into
 * endpoint groups (Kubernetes' EndpointSlice mirroring): `addresses` are ready, `notReadyAddresses`
 * are not; each subset's ports are the group's. Addresses that are not IPv4 are left out.
 */
export function mirroredGroups(endpoints: Endpoints): Map<string, EndpointGroup> {
  const groups = new Map<string, EndpointGroup>();
  for (const subset of endpoints.subsets ?? []) {
    const ports: EndpointPort[] = (subset.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    const key = portsKey(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, endpoints: [] }));
    for (const [list, ready] of [[subset.addresses ?? [], true], [subset.notReadyAddresses ?? [], false]] as const) {
      for (const a of list) {
        if (parseIpv4(a.ip) === undefined) continue;
        group.endpoints.push({
          addresses: [a.ip],
          conditions: { ready, serving: ready, terminating: false },
          ...(a.hostname ? { hostname: a.hostname } : {}),
          ...(a.nodeName ? { nodeName: a.nodeName } : {}),
          ...(a.targetRef ? { targetRef: a.targetRef } : {}),
        });
      }
    }
  }
  for (const [key, group] of groups) if (group.endpoints.length === 0) groups.delete(key);
  return groups;
}

/** sliceLabels: the Service's own labels, then the labels that tie the slice to it and to this controller. */
export function sliceLabels(service: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata.labels ?? {})) if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL && k !== HEADLESS_LABEL) labels[k] = v;
  labels[SERVICE_NAME_LABEL] = service.metadata.name;
  labels[MANAGED_BY_LABEL] = ENDPOINTSLICE_CONTROLLER;
  if (service.spec.clusterIP === HEADLESS) labels[HEADLESS_LABEL] = '';
  return labels;
}

/** isManagedSliceOf: a slice this controller keeps for this very Service (not a namesake it replaced). */
export function isManagedSliceOf(slice: EndpointSlice, service: Service): boolean {
  return (
    slice.metadata.namespace === service.metadata.namespace &&
    slice.metadata.labels?.[SERVICE_NAME_LABEL] === service.metadata.name &&
    slice.metadata.labels?.[MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER &&
    (slice.metadata.ownerReferences ?? []).some((r) => r.kind === 'Service' && r.uid === service.metadata.uid)
  );
}

/**
 * podFingerprint is what of a pod can change its endpoints: a pod change that leaves it the same
 * (most status reports) wakes no Service.
 */
export function podFingerprint(pod: Pod): string {
  return JSON.stringify([
    pod.metadata.labels ?? {},
    pod.metadata.deletionTimestamp ?? '',
    podAddress(pod) ?? '',
    pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed',
    isReady(pod),
    pod.spec.nodeName ?? '',
    pod.spec.hostname ?? '',
    pod.spec.subdomain ?? '',
    pod.spec.containers.map((c) => c.ports ?? []),
  ]);
}
