import type { CniPortMapping } from './cni-types.js';

/** PodNetworkRequest is what a PodNetwork needs to know of a pod to attach it. */
export interface PodNetworkRequest {
  uid: string;
  namespace: string;
  name: string;
  /** The host ports its containers ask for (portMappingsOf); empty for most pods. */
  portMappings: CniPortMapping[];
}

/** PodAttachment is what setUp gives the pod: the namespace its containers join and, with a pod network, its address. */
export interface PodAttachment {
  netnsPath: string;
  podIP?: string;
}

/**
 * PodNetwork is used to give each pod its network namespace, shared by all its containers, and
 * its place on the pod network.
 *
 * Lifecycle of a pod: setUp(pod) before its first container starts gives the pod a namespace
 * attached to the network (made now, or taken ready-made), returning the path containers join
 * and the pod's IP. setUp is idempotent: a restarted agent calls it again for each pod it
 * adopts, which checks the attachment (CNI CHECK) and keeps the pod's IP, repairing the
 * attachment when the check fails. tearDown(uid) once the pod is gone detaches it (its IP
 * released, its veth deleted) and removes the namespace, which no other pod ever gets; absent is
 * fine, so it may be called again after a crash. removeOthers(uids), at agent start, tears down
 * every attachment the network still records for a pod outside `uids`.
 */
export interface PodNetwork {
  setUp(pod: PodNetworkRequest): Promise<PodAttachment>;
  tearDown(podUid: string): Promise<void>;
  removeOthers(keep: ReadonlySet<string>): Promise<void>;
}

/** Where named network namespaces are bound, as `ip netns` keeps them. */
export const NETNS_DIR = '/var/run/netns';

/**
 * netnsName is the name of a pod sandbox's namespace under /var/run/netns: berth-<first 12 hex
 * of the sandbox's id>. A pod's own sandbox has the pod's uid as its id; a pool sandbox a random
 * UUID. (`berth down` finds them by the same rule from the agent's records.)
 */
export function netnsName(sandboxId: string): string {
  return `berth-${sandboxId.replace(/-/g, '').slice(0, 12)}`;
}

/** podNetnsPath is where the namespace of sandbox `sandboxId` (for a pod's own sandbox, the pod's uid) is bound. */
export function podNetnsPath(sandboxId: string): string {
  return `${NETNS_DIR}/${netnsName(sandboxId)}`;
}
