import type { Node } from '../../proto/objects/cluster.js';
import { RESOURCE } from '../../proto/resources.js';
import { ConflictError } from '../errors.js';
import { combine, createObject, updateObject } from '../store/guarded-change.js';
import type { GuardedChange } from '../store/guarded-change.js';
import type { ObjectStore } from '../store/object-store.js';
import { cidrOfClaimKey, claimPodCidr, keepPodCidr, POD_CIDR_CLAIM_PREFIX, podCidrClaimKey } from '../store/pod-cidr-claims.js';
import { DEFAULT_CLUSTER_CIDR, firstFreeNodeCidr, isNodeCidrOf } from './pod-cidr.js';

const nodes = RESOURCE.nodes;

/**
 * PodCidrAllocator is used at registration to give a node a /24 of the cluster CIDR: the one it
 * asks for (the CIDR its pods already have addresses from, when its Node was deleted and the
 * agent registers it again) if that is free or still claimed by the node, else the first free
 * one. Decide (from the claims read) then commit (one guarded transaction, the node's write and
 * its claim); a lost race surfaces as ConflictError, and the caller re-reads and retries. A
 * claim goes with its Node (ObjectService deletes both in one transaction).
 */
export class PodCidrAllocator {
  constructor(private readonly store: ObjectStore, private readonly clusterCidr = DEFAULT_CLUSTER_CIDR) {}

  /** Writes `node` (new when `stored` is undefined) with a pod CIDR, `preferred` if it can have it; ConflictError on any race. */
  async assignAndSave(node: Node, stored: Node | undefined, preferred?: string): Promise<Node> {
    const { cidr, claim } = await this.choose(node.metadata.name, preferred);
    const next: Node = { ...node, spec: { ...node.spec, podCIDR: cidr, podCIDRs: [cidr] } };
    const nodeWrite = stored ? updateObject(nodes, { ...next, metadata: { ...next.metadata, resourceVersion: stored.metadata.resourceVersion ?? '0' } }) : createObject(nodes, next);
    const outcome = await this.store.transact(combine([nodeWrite, claim]));
    if (!outcome.committed) throw new ConflictError('nodes', node.metadata.name, `pod CIDR ${cidr} or the node changed meanwhile`);
    return { ...next, metadata: { ...next.metadata, resourceVersion: outcome.revision } };
  }

  private async choose(name: string, preferred: string | undefined): Promise<{ cidr: string; claim: GuardedChange }> {
    if (preferred && isNodeCidrOf(preferred, this.clusterCidr)) {
      const holder = await this.store.keys.readValue(podCidrClaimKey(preferred));
      if (holder === undefined) return { cidr: preferred, claim: claimPodCidr(preferred, name) };
      if (holder === name) return { cidr: preferred, claim: keepPodCidr(preferred, name) };
    }
    const used = (await this.store.keys.listKeys(POD_CIDR_CLAIM_PREFIX)).map(cidrOfClaimKey);
    const cidr = firstFreeNodeCidr(used, this.clusterCidr);
    return { cidr, claim: claimPodCidr(cidr, name) };
  }
}
