import type { Node, Taint } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import { cpuMillis, memoryBytes, parseQuantity } from '../../proto/quantity.js';
import { occupiesNode, podInfo, podKey } from './pod-info.js';
import type { HostPort, PodInfo } from './pod-info.js';
import { isReady } from '../../proto/objects/conditions.js';

/** Resources is an amount of the resources the scheduler accounts for. */
export interface Resources {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
}

/**
 * NodeInfo is one node as the scheduler sees it: the Node's scheduling-relevant fields, parsed
 * once, and running totals of what the pods bound (or assumed) to it request. Filters and
 * scorers read it in O(1); the totals change incrementally as pods come and go.
 */
export interface NodeInfo {
  name: string;
  /** Undefined while pods are bound to a node whose Node object we have not seen. */
  node: Node | undefined;
  ready: boolean;
  unschedulable: boolean;
  labels: Record<string, string>;
  /** Taints that keep pods away (NoSchedule, NoExecute); PreferNoSchedule only ranks. */
  taints: Taint[];
  allocatable: Resources;
  requested: Resources;
  /** Requests with Kubernetes' defaults for pods that state none; used to score, not to fit. */
  nonZeroRequested: { cpuMillis: number; memoryBytes: number };
  /** `protocol/port` → address → how many pods hold it. */
  hostPorts: Map<string, Map<string, number>>;
  /** controller uid → how many of its pods are on this node. */
  owners: Map<string, number>;
  /** The pods bound or assumed here, by key, for pod affinity. */
  pods: Map<string, PodInfo>;
}

interface Placement {
  nodeName: string;
  info: PodInfo;
  /** Placed by this scheduler and not yet seen bound in the store (Kubernetes' "assumed pod"). */
  assumed: boolean;
}

/**
 * ClusterSnapshot is the scheduler's view of the cluster: nodes with their aggregates, and
 * where each pod is. The scheduler feeds it from the pod and node informers and assumes each
 * placement in it at once, so the next pod of a batch sees that node's resources already taken.
 */
export class ClusterSnapshot {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly placements = new Map<string, Placement>();
  /** Placements of pods with required anti-affinity: every candidate node is checked against them. */
  private readonly antiHolders = new Map<string, Placement>();
  private ordered: NodeInfo[] | undefined;

  /** nodeList is every known Node, sorted by name (a stable order makes decisions repeatable). */
  nodeList(): readonly NodeInfo[] {
    if (!this.ordered) {
      this.ordered = [...this.nodes.values()].filter((n) => n.node !== undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    return this.ordered;
  }

  node(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  /** placementOf says where a pod is bound or assumed, if anywhere. */
  placementOf(key: string): { nodeName: string; assumed: boolean } | undefined {
    const p = this.placements.get(key);
    return p && { nodeName: p.nodeName, assumed: p.assumed };
  }

  /** antiAffinityHolders are the placed pods that have required pod anti-affinity terms. */
  antiAffinityHolders(): Iterable<{ nodeName: string; info: PodInfo }> {
    return this.antiHolders.values();
  }

  setNode(node: Node): void {
    const info = this.nodeInfo(node.metadata.name);
    const alloc = node.status?.allocatable ?? {};
    info.node = node;
    info.ready = isReady(node);
    info.unschedulable = node.spec?.unschedulable ?? false;
    info.labels = node.metadata.labels ?? {};
    info.taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    info.allocatable = {
      cpuMillis: alloc.cpu !== undefined ? cpuMillis(alloc.cpu) : 0,
      memoryBytes: alloc.memory !== undefined ? memoryBytes(alloc.memory) : 0,
      pods: alloc.pods !== undefined ? Math.floor(parseQuantity(alloc.pods)) : 0,
    };
    this.ordered = undefined;
  }

  /** removeNode forgets the Node; pods still bound to it keep their accounting until they go. */
  removeNode(name: string): void {
    const info = this.nodes.get(name);
    if (!info) return;
    info.node = undefined;
    if (info.requested.pods === 0) this.nodes.delete(name);
    this.ordered = undefined;
  }

  /** setPod applies a pod as stored (from the informer). */
  setPod(pod: Pod): void {
    const key = podKey(pod);
    const existing = this.placements.get(key);
    if (occupiesNode(pod)) {
      if (existing) this.unaccount(existing);
      const placement: Placement = { nodeName: pod.spec.nodeName as string, info: podInfo(pod, key), assumed: false };
      this.placements.set(key, placement);
      this.account(placement, 1);
      return;
    }
    // Still unbound in the store while our binding is in flight: keep the assumption.
    if (existing?.assumed && !pod.spec.nodeName) return;
    this.removePod(key);
  }

  removePod(key: string): void {
    const existing = this.placements.get(key);
    if (!existing) return;
    this.unaccount(existing);
  }

  /** assume places a pod on a node before the binding is committed. */
  assume(info: PodInfo, nodeName: string): void {
    const existing = this.placements.get(info.key);
    if (existing) this.unaccount(existing);
    const placement: Placement = { nodeName, info, assumed: true };
    this.placements.set(info.key, placement);
    this.account(placement, 1);
  }

  /** forget undoes an assumption whose binding did not happen; a confirmed placement stays. */
  forget(key: string): void {
    const existing = this.placements.get(key);
    if (existing?.assumed) this.unaccount(existing);
  }

  private unaccount(placement: Placement): void {
    this.account(placement, -1);
    this.placements.delete(placement.info.key);
    const node = this.nodes.get(placement.nodeName);
    if (node && !node.node && node.requested.pods === 0) this.nodes.delete(node.name);
  }

  private account(placement: Placement, sign: 1 | -1): void {
    const node = this.nodeInfo(placement.nodeName);
    const { info } = placement;
    node.requested.cpuMillis += sign * info.cpuMillis;
    node.requested.memoryBytes += sign * info.memoryBytes;
    node.requested.pods += sign;
    node.nonZeroRequested.cpuMillis += sign * info.nonZeroCpuMillis;
    node.nonZeroRequested.memoryBytes += sign * info.nonZeroMemoryBytes;
    for (const port of info.hostPorts) addPort(node.hostPorts, port, sign);
    if (sign > 0) node.pods.set(info.key, info);
    else node.pods.delete(info.key);
    if ((info.podAffinity?.requiredAnti.length ?? 0) > 0) {
      if (sign > 0) this.antiHolders.set(info.key, placement);
      else this.antiHolders.delete(info.key);
    }
    if (info.ownerUid) {
      const n = (node.owners.get(info.ownerUid) ?? 0) + sign;
      if (n > 0) node.owners.set(info.ownerUid, n);
      else node.owners.delete(info.ownerUid);
    }
  }

  private nodeInfo(name: string): NodeInfo {
    let info = this.nodes.get(name);
    if (!info) {
      info = {
        name,
        node: undefined,
        ready: false,
        unschedulable: false,
        labels: {},
        taints: [],
        allocatable: { cpuMillis: 0, memoryBytes: 0, pods: 0 },
        requested: { cpuMillis: 0, memoryBytes: 0, pods: 0 },
        nonZeroRequested: { cpuMillis: 0, memoryBytes: 0 },
        hostPorts: new Map(),
        owners: new Map(),
        pods: new Map(),
      };
      this.nodes.set(name, info);
    }
    return info;
  }
}

function addPort(ports: Map<string, Map<string, number>>, port: HostPort, sign: 1 | -1): void {
  const slot = `${port.protocol}/${port.port}`;
  let byIp = ports.get(slot);
  if (!byIp) {
    byIp = new Map();
    ports.set(slot, byIp);
  }
  const n = (byIp.get(port.ip) ?? 0) + sign;
  if (n > 0) byIp.set(port.ip, n);
  else byIp.delete(port.ip);
  if (byIp.size === 0) ports.delete(slot);
}
