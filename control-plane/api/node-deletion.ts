import type { Node } from '../../proto/objects/cluster.js';
import { objectKey, RESOURCE } from '../../proto/resources.js';
import { ConflictError } from '../errors.js';
import { combine, deleteObject } from '../store/guarded-change.js';
import type { ObjectStore } from '../store/object-store.js';
import { podCidrClaimKey, releasePodCidr } from '../store/pod-cidr-claims.js';

const nodes = RESOURCE.nodes;
const MAX_ATTEMPTS = 50;

/**
 * deleteNode removes a Node and frees its pod CIDR in one transaction: the Node's delete,
 * guarded on the revision read (or on `precondition`), and the delete of its pod-CIDR claim,
 * guarded on the claim still naming this node. A claim held by nobody, or by another node, is
 * left alone. When a guard fails (the Node or its claim changed meanwhile) it reads again and
 * retries; with a precondition, a Node at another revision is a ConflictError. A Node already
 * gone is NotFoundError, and nothing is written.
 */
export async function deleteNode(store: ObjectStore, name: string, precondition?: string): Promise<Node> {
  const key = objectKey(nodes, undefined, name);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const node = (await store.get(nodes, undefined, name)) as Node;
    const revision = precondition ?? node.metadata.resourceVersion ?? '0';
    const cidr = node.spec.podCIDR;
    const holdsClaim = cidr !== undefined && (await store.keys.readValue(podCidrClaimKey(cidr))) === name;
    const outcome = await store.transact(combine([deleteObject(nodes, undefined, name, revision), ...(holdsClaim ? [releasePodCidr(cidr, name)] : [])]));
    if (outcome.committed) return node;
    if (precondition && outcome.current.get(key)?.modRevision !== precondition) throw new ConflictError(nodes.resource, name);
  }
  throw new ConflictError(nodes.resource, name, 'it kept changing while being deleted');
}
