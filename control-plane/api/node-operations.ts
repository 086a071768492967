import type { Logger } from 'winston';
import type { Node } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE } from '../../proto/resources.js';
import { NotFoundError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import { deletePod } from '../store/pod-deletion.js';

const nodes = RESOURCE.nodes;
const pods = RESOURCE.pods;

/**
 * NodeOperations are the administrator's actions on nodes (kubectl cordon/uncordon/drain).
 * Drain evicts by deleting the node's pods, gracefully (each stops as a deleted pod does): their
 * controllers create replacements, which the scheduler places elsewhere because the node is
 * cordoned first.
 */
export class NodeOperations {
  constructor(private readonly store: ObjectStore, private readonly logger: Logger) {}

  async cordon(nodeName: string, unschedulable: boolean): Promise<Node> {
    const { object } = await this.store.guaranteedUpdate(nodes, undefined, nodeName, (current) => {
      const node = current as Node;
      if ((node.spec.unschedulable ?? false) === unschedulable) return undefined;
      if (unschedulable) node.spec.unschedulable = true;
      else delete node.spec.unschedulable;
      return node;
    });
    this.logger.info(unschedulable ? 'node cordoned' : 'node uncordoned', { node: nodeName });
    return object as Node;
  }

  async drain(nodeName: string): Promise<{ node: Node; evicted: string[] }> {
    const node = await this.cordon(nodeName, true);
    const evicted: string[] = [];
    for (const pod of (await this.store.list(pods)).items as Pod[]) {
      if (pod.spec.nodeName !== nodeName) continue;
      try {
        await deletePod(this.store, pod.metadata.namespace ?? 'default', pod.metadata.name);
        evicted.push(`${pod.metadata.namespace}/${pod.metadata.name}`);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    this.logger.info('node drained', { node: nodeName, evicted: evicted.length });
    return { node, evicted };
  }
}
