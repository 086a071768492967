import type { Node } from '../../proto/objects/cluster.js';
import { RESOURCE } from '../../proto/resources.js';
import { ConflictError } from '../errors.js';
import { combine, createObject, updateObject } from '../store/guarded-change.js';
import type { GuardedChange } from '../store/guarded-change.js';
import type { ObjectStore } from '../store/object-store.js';
import { DEFAULT_CLUSTER_CIDR, firstFreeNodeCidr } from './pod-cidr.js';

const nodes = RESOURCE.nodes;

/**
 * One etcd key per handed-out CIDR (value: the node's name). Kept outside /berth/<resource>/ so
 * no resource list sees it. A claim is created in the same transaction as the node's write, on
 * the condition that it does not exist yet: two nodes can never get the same CIDR.
 */
export const POD_CIDR_CLAIM_PREFIX = '/berth-internal/podcidrs/';

function claimKey(cidr: string): string {
  return POD_CIDR_CLAIM_PREFIX + cidr.replace('/', '_');
}

/**
 * PodCidrAllocator is used at registration to give a node the first free /24 of the cluster
 * CIDR. Decide (first free, from the claims read) then commit (one guarded transaction); a lost
 * race surfaces as ConflictError, and the caller re-reads and retries.
 * TODO(node deletion): release the claim when a Node object is deleted.
 */
export class PodCidrAllocator {
  constructor(private readonly store: ObjectStore, private readonly clusterCidr = DEFAULT_CLUSTER_CIDR) {}

  /** Writes `node` (new when `stored` is undefined) with a fresh pod CIDR; ConflictError on any race. */
  async assignAndSave(node: Node, stored: Node | undefined): Promise<Node> {
    const claims = await this.store.keys.listKeys(POD_CIDR_CLAIM_PREFIX);
    const used = claims.map((k) => k.slice(POD_CIDR_CLAIM_PREFIX.length).replace('_', '/'));
    const cidr = firstFreeNodeCidr(used, this.clusterCidr);
    const next: Node = { ...node, spec: { ...node.spec, podCIDR: cidr, podCIDRs: [cidr] } };
    const nodeWrite = stored ? updateObject(nodes, { ...next, metadata: { ...next.metadata, resourceVersion: stored.metadata.resourceVersion ?? '0' } }) : createObject(nodes, next);
    const claim: GuardedChange = { guards: [{ key: claimKey(cidr), expect: 'absent' }], writes: [{ key: claimKey(cidr), put: node.metadata.name }] };
    const outcome = await this.store.transact(combine([nodeWrite, claim]));
    if (!outcome.committed) throw new ConflictError('nodes', node.metadata.name, `pod CIDR ${cidr} or the node changed meanwhile`);
    return { ...next, metadata: { ...next.metadata, resourceVersion: outcome.revision } };
  }
}
