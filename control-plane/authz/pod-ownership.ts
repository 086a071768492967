import type { Pod } from '../../proto/objects/pod.js';
import { DEFAULT_NAMESPACE, RESOURCE } from '../../proto/resources.js';
import type { ObjectStore } from '../store/object-store.js';

/** PodRef names the pod instance a node's request is about; an empty uid means whichever instance is stored. */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/**
 * PodOwnership is how a pod a node names relates to that node:
 * - own: the stored pod (this instance) is bound to the node;
 * - gone: no such pod, or the stored one is another instance (uid) — the handler answers as it
 *   always has (NOT_FOUND: stop reporting it), and no other node's pod is touched;
 * - foreign: the pod (this instance) exists and is not bound to the node — refused.
 */
export type PodOwnership = 'own' | 'gone' | 'foreign';

/** The ref of a pod named by `namespace` (empty: the default namespace), `name` and `uid`. */
export function podRef(namespace: string | undefined, name: string, uid: string | undefined): PodRef {
  return { namespace: namespace || DEFAULT_NAMESPACE, name, uid: uid ?? '' };
}

/** How `ref` relates to `nodeName`, judged on the stored pod of its namespace and name. Pure. */
export function podOwnership(stored: Pod | undefined, ref: PodRef, nodeName: string): PodOwnership {
  if (!stored || (ref.uid && stored.metadata.uid !== ref.uid)) return 'gone';
  return stored.spec.nodeName === nodeName ? 'own' : 'foreign';
}

/** Where a ref is written in logs and refusals: `namespace/name`. */
export function describePod(ref: PodRef): string {
  return `${ref.namespace}/${ref.name}`;
}

/**
 * StoredPodLookup is used to read the pods a node's request names, for podOwnership. The pod
 * informer's copy is enough when it shows this very instance (uid) bound to the node: a pod's
 * binding never changes while it exists. Any other answer from the cache (absent, another
 * instance, another node) may only mean the cache lags, so those pods are read from etcd, all in
 * one round trip: a lagging cache never refuses a good request.
 */
export class StoredPodLookup {
  /** `cached` looks a pod up by `namespace/name` in the pod informer; undefined when it has none. */
  constructor(private readonly store: Pick<ObjectStore, 'getMany'>, private readonly cached: (cacheKey: string) => Pod | undefined) {}

  /** The stored pod for each ref (undefined: none), in order, as judged for `nodeName`. */
  async podsFor(nodeName: string, refs: readonly PodRef[]): Promise<Array<Pod | undefined>> {
    const pods = refs.map((ref) => {
      const copy = this.cached(`${ref.namespace}/${ref.name}`);
      return ref.uid && copy && podOwnership(copy, ref, nodeName) === 'own' ? copy : undefined;
    });
    const toRead = refs.map((ref, i) => ({ ref, i })).filter(({ i }) => pods[i] === undefined);
    if (toRead.length === 0) return pods;
    const read = await this.store.getMany(toRead.map(({ ref }) => ({ info: RESOURCE.pods, namespace: ref.namespace, name: ref.name })));
    toRead.forEach(({ i }, j) => {
      pods[i] = read[j] as Pod | undefined;
    });
    return pods;
  }
}
