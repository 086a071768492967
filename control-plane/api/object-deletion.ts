import type { BerthObject } from '../../proto/objects/meta.js';
import { DEFAULT_NAMESPACE, RESOURCE, RESOURCES } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { InvalidError, NotFoundError } from '../errors.js';
import type { PodDeleteRequest } from '../objects/pod-deletion.js';
import type { ObjectStore } from '../store/object-store.js';
import { deletePod } from '../store/pod-deletion.js';
import { deleteNode } from './node-deletion.js';

/** DeleteOptions are ClusterAPI's DeleteRequest fields beyond the object's name. */
export interface DeleteOptions extends PodDeleteRequest {
  /** Only at this resourceVersion. */
  precondition?: string;
}

/**
 * deleteOne deletes one object as ClusterAPI's Delete does. A Pod goes through deletePod
 * (graceful: it may stay, terminating, until its node finishes it; the object returned then has
 * its deletionTimestamp); a Node takes its pod-CIDR claim along; a Namespace first deletes every
 * object in it (its pods gracefully: they may outlive the Namespace object until their agents
 * finish them). Anything else is removed at once.
 */
export async function deleteOne(store: ObjectStore, info: ResourceInfo, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<BerthObject> {
  const precondition = options.precondition || undefined;
  if (info.kind === 'Pod') {
    const deletion = await deletePod(store, namespace ?? DEFAULT_NAMESPACE, name, { ...options, ...(precondition ? { precondition } : {}) });
    return deletion.pod;
  }
  if (info.kind === 'Node') return deleteNode(store, name, precondition);
  if (info.kind === 'Namespace') await emptyNamespace(store, name);
  return store.delete(info, namespace, name, precondition);
}

/** emptyNamespace deletes every object in a namespace (the namespace must exist). */
async function emptyNamespace(store: ObjectStore, name: string): Promise<void> {
  if (name === DEFAULT_NAMESPACE) throw new InvalidError('namespace "default" cannot be deleted');
  await store.get(RESOURCE.namespaces, undefined, name);
  for (const r of RESOURCES.filter((x) => x.namespaced)) {
    for (const item of (await store.list(r, name)).items) {
      const gone = r.kind === 'Pod' ? deletePod(store, name, item.metadata.name) : store.delete(r, name, item.metadata.name);
      await gone.catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
    }
  }
}
