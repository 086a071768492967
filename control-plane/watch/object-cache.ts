import type { BerthObject } from '../../proto/objects/meta.js';
import type { ResourceInfo } from '../../proto/resources.js';
import type { StoreEventType } from '../store/prefix-watch.js';

/** InformerHandler is told about every change after the cache has applied it. */
export type InformerHandler = (type: StoreEventType, object: BerthObject, previous: BerthObject | undefined) => void;

/** cacheKey is how informers and work queues name an object: `namespace/name`, or `name`. */
export function cacheKey(object: { metadata: { namespace?: string; name: string } }): string {
  return object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name;
}

/**
 * ObjectCache is what controllers and the scheduler use of an informer: the in-memory copy of one
 * resource and its change notifications. Objects handed out are the cache's own: copy before
 * changing one, or use getCopy(). onChange returns the function that removes
 * the handler again.
 */
export interface ObjectCache {
  readonly info: ResourceInfo;
  readonly hasSynced: boolean;
  /** The etcd revision the cache reflects. */
  readonly revision: string;
  onChange(handler: InformerHandler): () => void;
  get(key: string): BerthObject | undefined;
  getCopy(key: string): BerthObject | undefined;
  list(filter?: (o: BerthObject) => boolean): BerthObject[];
}
