import type { EndpointSlice } from '../../proto/objects/discovery.js';

/** The pure parts of drain before kill (WaitEndpointsDrained), tested without etcd. */

/** PodRef names the pod of an endpoint: its uid when the endpoint has one, else `namespace/name`. */
export function podRefKey(ref: { namespace?: string | undefined; name: string; uid?: string | undefined }): string {
  return ref.uid || `${ref.namespace ?? 'default'}/${ref.name}`;
}

/** SliceEntry is one pod an EndpointSlice lists, and whether it lists it as serving. */
export interface SliceEntry {
  pod: string;
  serving: boolean;
}

/**
 * slicePods lists the pods a slice's endpoints point to (podRefKey). An endpoint without a
 * `serving` condition serves when it is ready, and a missing `ready` means ready (Kubernetes'
 * reading of absent conditions).
 */
export function slicePods(slice: EndpointSlice): SliceEntry[] {
  const out: SliceEntry[] = [];
  for (const e of slice.endpoints ?? []) {
    if (e.targetRef?.kind !== 'Pod') continue;
    const ready = e.conditions?.ready ?? true;
    out.push({ pod: podRefKey({ namespace: e.targetRef.namespace ?? slice.metadata.namespace, name: e.targetRef.name, uid: e.targetRef.uid }), serving: e.conditions?.serving ?? ready });
  }
  return out;
}

/** What WaitEndpointsDrained knows about one pod and the nodes at one moment. */
export interface DrainFacts {
  /** Slices (namespace/name) that still list the pod as serving. */
  servingIn: readonly string[];
  /** Mod revision of the newest EndpointSlice change that referenced the pod; undefined: none known. */
  changedAt: number | undefined;
  /** Nodes whose Ready condition is True. */
  readyNodes: readonly string[];
  /** The services revision each node's proxy last reported (absent: never reported). */
  reported: (node: string) => number | undefined;
}

/** DrainVerdict: drained, or what is still waited for (in words, for the reply's message). */
export type DrainVerdict = { drained: true } | { drained: false; waitingFor: string };

/**
 * drainVerdict: a pod is drained once no EndpointSlice lists it as serving and every Ready node's
 * proxy has reported a sync at or past the newest slice change that referenced it (at once when
 * no slice ever referenced it). NotReady nodes are not waited for: their proxy may be gone, and
 * a node that comes back lists every Service afresh. A node that never reported is not synced.
 */
export function drainVerdict(facts: DrainFacts): DrainVerdict {
  if (facts.servingIn.length > 0) return { drained: false, waitingFor: `EndpointSlice ${[...facts.servingIn].sort().join(', ')} still lists the pod as serving` };
  const changedAt = facts.changedAt;
  if (changedAt === undefined) return { drained: true };
  const behind = facts.readyNodes.filter((n) => (facts.reported(n) ?? -1) < changedAt).sort();
  if (behind.length === 0) return { drained: true };
  return { drained: false, waitingFor: `the service proxy of node ${behind.join(', ')} has not yet synced EndpointSlice revision ${changedAt}` };
}
