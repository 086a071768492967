import type { Logger } from 'winston';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE } from '../../proto/resources.js';
import { Informer } from '../watch/informer.js';
import type { ObjectStore } from '../store/object-store.js';
import type { StoreEventType } from '../store/prefix-watch.js';
import { cacheKey } from '../watch/object-cache.js';

const pods = RESOURCE.pods;

/** NodePodEvent is one change to the set of pods bound to a node. */
export interface NodePodEvent {
  type: StoreEventType;
  pod: Pod;
}

/** NodePodListener receives the events of one node's pods; it must not block. */
export type NodePodListener = (event: NodePodEvent) => void;

/**
 * routePodChange turns one informer change into per-node events: a pod that moves from node A
 * to B (or is unbound) is DELETED for A and ADDED for B. A change of the status alone is sent
 * to nobody: the node's agent is the one that wrote it (docs/architecture.md section 3), and echoing each
 * of its reports back doubled the traffic of a pod start on both ends. Pure.
 */
export function routePodChange(type: StoreEventType, object: BerthObject, previous: BerthObject | undefined): { node: string; event: NodePodEvent }[] {
  const before = (previous as Pod | undefined)?.spec?.nodeName;
  const pod = object as Pod;
  if (type === 'DELETED') return before ? [{ node: before, event: { type: 'DELETED', pod: (previous as Pod | undefined) ?? pod } }] : [];
  const after = pod.spec?.nodeName;
  if (before === after) {
    if (!after || (previous && onlyStatusChanged(previous as Pod, pod))) return [];
    return [{ node: after, event: { type: previous ? type : 'ADDED', pod } }];
  }
  const out: { node: string; event: NodePodEvent }[] = [];
  if (before) out.push({ node: before, event: { type: 'DELETED', pod: previous as Pod } });
  if (after) out.push({ node: after, event: { type: 'ADDED', pod } });
  return out;
}

/** Whether `after` differs from `before` only in status and resourceVersion. */
function onlyStatusChanged(before: Pod, after: Pod): boolean {
  const rest = (pod: Pod) => JSON.stringify([pod.spec, { ...pod.metadata, resourceVersion: undefined }]);
  return rest(before) === rest(after);
}

/**
 * NodePodIndex is used to serve every node's WatchPods from ONE pod Informer (one etcd watch
 * for the whole cluster, not one per node), indexed by spec.nodeName. The informer is the
 * control plane's only pod informer: the leader's controllers and scheduler borrow it too
 * (`informer`). Lifecycle: the informer starts on the first subscribe (or when a leadership term
 * begins) and runs until stop().
 */
export class NodePodIndex {
  readonly informer: Informer;
  /** node → (pod cache key → pod uid): the pods bound to each node. */
  private readonly byNode = new Map<string, Map<string, string>>();
  /** pod cache key → the node it is indexed under. */
  private readonly nodeOf = new Map<string, string>();
  private pruneScheduled = false;
  private readonly listeners = new Map<string, Set<NodePodListener>>();

  constructor(store: ObjectStore, private readonly logger: Logger) {
    this.informer = new Informer(pods, store, logger);
    this.informer.onChange((type, object, previous) => this.apply(type, object, previous));
  }

  /**
   * subscribe sends every pod bound to `node` as ADDED (synchronously, after the cache has
   * synced), then each change. Returns the function that ends the subscription.
   */
  async subscribe(node: string, listener: NodePodListener): Promise<() => void> {
    await this.informer.ensureStarted();
    // No await between the snapshot and the registration: no change can fall in between.
    for (const key of this.byNode.get(node)?.keys() ?? []) {
      const pod = this.informer.get(key);
      if (pod) listener({ type: 'ADDED', pod: pod as Pod });
    }
    let set = this.listeners.get(node);
    if (!set) this.listeners.set(node, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(node) === set) this.listeners.delete(node);
    };
  }

  /** podsOf lists the pods bound to `node` right now, from the cache (shared: do not change them). */
  podsOf(node: string): Pod[] {
    return [...(this.byNode.get(node)?.keys() ?? [])].map((k) => this.informer.get(k)).filter((p): p is Pod => p !== undefined) as Pod[];
  }

  /** cached is the informer's copy of a pod (`namespace/name`), possibly behind etcd; shared: do not change it. */
  cached(key: string): Pod | undefined {
    return this.informer.get(key) as Pod | undefined;
  }

  stop(): void {
    this.informer.stop();
    this.listeners.clear();
  }

  private apply(type: StoreEventType, object: BerthObject, previous: BerthObject | undefined): void {
    const key = cacheKey(object);
    const before = (previous as Pod | undefined)?.spec?.nodeName;
    const after = type === 'DELETED' ? undefined : (object as Pod).spec?.nodeName;
    // An ADDED without a previous object for a pod already indexed: the informer is listing
    // again (its watch fell behind a compaction). Its list is emitted in one synchronous loop,
    // so once this turn of the event loop is over, whatever it did not list is gone.
    if (type === 'ADDED' && !previous && this.indexed(key) && !this.pruneScheduled) {
      this.pruneScheduled = true;
      setImmediate(() => this.pruneAfterRelist());
    }
    if (before && before !== after) this.byNode.get(before)?.delete(key);
    if (after) this.nodeOf.set(key, after);
    else this.nodeOf.delete(key);
    if (after) {
      let set = this.byNode.get(after);
      if (!set) this.byNode.set(after, (set = new Map()));
      set.set(key, object.metadata.uid ?? '');
    }
    for (const { node, event } of routePodChange(type, object, previous)) this.send(node, event);
  }

  private indexed(key: string): boolean {
    return this.nodeOf.has(key);
  }

  /** Sends DELETED for every indexed pod the re-list showed gone or bound to another node. */
  private pruneAfterRelist(): void {
    this.pruneScheduled = false;
    for (const [node, keys] of this.byNode) {
      for (const [key, uid] of keys) {
        const pod = this.informer.get(key) as Pod | undefined;
        if (pod?.spec?.nodeName === node && (pod.metadata.uid ?? '') === uid) continue;
        keys.delete(key);
        if (this.nodeOf.get(key) === node) this.nodeOf.delete(key);
        const [namespace, name] = key.includes('/') ? key.split('/') : [undefined, key];
        const tombstone: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: name ?? key, ...(namespace ? { namespace } : {}), uid }, spec: { containers: [], nodeName: node } };
        this.send(node, { type: 'DELETED', pod: tombstone });
      }
    }
  }

  private send(node: string, event: NodePodEvent): void {
    for (const listener of this.listeners.get(node) ?? []) {
      try {
        listener(event);
      } catch (err) {
        this.logger.warn('pod watch listener failed', { node, error: String(err) });
      }
    }
  }
}
