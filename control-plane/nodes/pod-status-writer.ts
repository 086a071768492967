import type { Pod, PodStatus } from '../../proto/objects/pod.js';
import { resourceByName, type ResourceInfo } from '../../proto/resources.js';
import { NotFoundError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';

const pods = resourceByName('pods') as ResourceInfo;

/** PodNotOnNodeError is thrown when a node reports the status of a pod that is not bound to it. */
export class PodNotOnNodeError extends NotFoundError {
  override name = 'PodNotOnNodeError';
  constructor(namespace: string, name: string, node: string) {
    super('pods', `${namespace}/${name}`);
    this.message = `pod ${namespace}/${name} (this instance) is not bound to node ${node}: stop reporting it`;
  }
}

/**
 * writePodStatus replaces the status of a pod bound to `nodeName` (DESIGN.md section 3: the
 * agent of that node is the only writer of pod.status). Guarded update: spec and metadata are
 * never touched; a pod whose uid differs (deleted and re-created under the same name) or that
 * is bound elsewhere is refused with PodNotOnNodeError (a NotFoundError).
 */
export async function writePodStatus(store: ObjectStore, nodeName: string, namespace: string, name: string, uid: string, status: PodStatus): Promise<Pod> {
  const { object } = await store.guaranteedUpdate(pods, namespace, name, (current) => {
    const pod = current as Pod;
    if ((uid && pod.metadata.uid !== uid) || pod.spec.nodeName !== nodeName) throw new PodNotOnNodeError(namespace, name, nodeName);
    if (JSON.stringify(pod.status ?? {}) === JSON.stringify(status)) return undefined;
    pod.status = status;
    return pod;
  });
  return object as Pod;
}
