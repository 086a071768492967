import type { Logger } from 'winston';
import type { Node } from '../../proto/objects/cluster.js';
import { RESOURCE } from '../../proto/resources.js';
import { AlreadyExistsError, ConflictError, InvalidError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import { PodCidrAllocator } from './pod-cidr-allocator.js';
import { readyConditionsIfChanged } from './node-ready.js';
import { newIdentity } from '../objects/identity.js';

const nodes = RESOURCE.nodes;
const HOSTNAME_LABEL = 'kubernetes.io/hostname';
const MAX_ATTEMPTS = 20;

/** RegisteredNode is what Register answers: the stored Node and its pod CIDR. */
export interface RegisteredNode {
  node: Node;
  podCIDR: string;
}

/**
 * mergeRegistration builds the Node to store from what the agent reports and what is stored.
 * The agent owns labels it sets, status (capacity, allocatable, addresses, nodeInfo,
 * daemonEndpoints); administrators own spec.unschedulable and taints, which are kept. The Ready
 * condition becomes True. Every Node carries `kubernetes.io/hostname` (its name, unless the agent
 * says otherwise), the topology key pod anti-affinity spreads over. Pure: `now` and the identity come from the caller.
 */
export function mergeRegistration(reported: Node, stored: Node | undefined, identity: { uid: string; creationTimestamp: string }, now: string): Node {
  const base: Node = stored ?? {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: reported.metadata.name, uid: identity.uid, creationTimestamp: identity.creationTimestamp },
    spec: {},
  };
  const node: Node = { ...base, metadata: { ...base.metadata }, spec: { ...base.spec } };
  node.metadata.labels = { [HOSTNAME_LABEL]: reported.metadata.name, ...base.metadata.labels, ...reported.metadata.labels };
  const status = reported.status ?? {};
  const conditions = base.status?.conditions ?? [];
  node.status = {
    ...(status.capacity ? { capacity: status.capacity } : {}),
    ...(status.allocatable ? { allocatable: status.allocatable } : {}),
    ...(status.addresses ? { addresses: status.addresses } : {}),
    ...(status.daemonEndpoints ? { daemonEndpoints: status.daemonEndpoints } : {}),
    ...(status.nodeInfo ? { nodeInfo: status.nodeInfo } : {}),
    conditions,
  };
  node.status.conditions = readyConditionsIfChanged(node, now) ?? conditions;
  return node;
}

/**
 * NodeRegistration is used by NodeAPI.Register: creates or updates the Node and makes sure it
 * has a pod CIDR. Each write is guarded on the revision read; a conflict re-reads and retries.
 */
export class NodeRegistration {
  private readonly cidrs: PodCidrAllocator;

  constructor(private readonly store: ObjectStore, private readonly logger: Logger, clusterCidr?: string) {
    this.cidrs = new PodCidrAllocator(store, clusterCidr);
  }

  async register(reported: Node): Promise<RegisteredNode> {
    const name = reported.metadata?.name;
    if (!name) throw new InvalidError('the Node to register has no metadata.name: start the agent with --name');
    const identity = newIdentity();
    const now = new Date().toISOString();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = (await this.store.tryGet(nodes, undefined, name)) as Node | undefined;
      const node = mergeRegistration(reported, stored, identity, now);
      try {
        const saved = node.spec.podCIDR ? await this.save(node, stored) : await this.cidrs.assignAndSave(node, stored, reported.spec?.podCIDR);
        this.logger.info('node registered', { node: name, podCIDR: saved.spec.podCIDR, created: !stored });
        return { node: saved, podCIDR: saved.spec.podCIDR ?? '' };
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    throw new ConflictError('nodes', name, `still conflicting after ${MAX_ATTEMPTS} attempts`);
  }

  private async save(node: Node, stored: Node | undefined): Promise<Node> {
    if (!stored) return (await this.store.create(nodes, node).catch(asConflict(node))) as Node;
    return (await this.store.update(nodes, node)) as Node;
  }
}

/** A create that lost a race to another register of the same node is a conflict: retry. */
function asConflict(node: Node) {
  return (err: unknown): never => {
    if (err instanceof AlreadyExistsError) throw new ConflictError('nodes', node.metadata.name);
    throw err;
  };
}
