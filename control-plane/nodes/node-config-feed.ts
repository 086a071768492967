import type { Logger } from 'winston';
import { configRefKey, podConfigRefs } from '../../proto/config-refs.js';
import type { ConfigRef } from '../../proto/config-refs.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import { RESOURCE } from '../../proto/resources.js';
import type { ObjectStore } from '../store/object-store.js';
import type { StoreEventType } from '../store/prefix-watch.js';
import { Informer } from '../watch/informer.js';
import type { NodePodEvent, NodePodIndex } from './node-pod-index.js';

/**
 * ConfigFeedEvent is one event of a node's WatchConfigObjects stream:
 * - ADDED / MODIFIED: a referenced object as it is now;
 * - ABSENT: a referenced object does not exist (`object` only names it);
 * - DELETED: no pod of the node refers to the object any more (`object` only names it).
 */
export interface ConfigFeedEvent {
  type: 'ADDED' | 'MODIFIED' | 'ABSENT' | 'DELETED';
  object: BerthObject;
}

/** ConfigFeedListener receives one node's events; it must not block. */
export type ConfigFeedListener = (event: ConfigFeedEvent) => void;

function stub(ref: ConfigRef): BerthObject {
  return { apiVersion: 'v1', kind: ref.kind, metadata: { namespace: ref.namespace, name: ref.name } };
}

/**
 * NodeSubscription is one node's stream: which objects its pods refer to (counted per pod),
 * sending an object when the first pod refers to it and DELETED when the last one stops.
 */
class NodeSubscription {
  private readonly refsOfPod = new Map<string, string[]>();
  private readonly wanted = new Map<string, { ref: ConfigRef; pods: number }>();

  constructor(private readonly listener: ConfigFeedListener, private readonly lookup: (ref: ConfigRef) => BerthObject | undefined) {}

  podChanged(event: NodePodEvent): void {
    const key = `${event.pod.metadata.namespace ?? 'default'}/${event.pod.metadata.name}`;
    const next = event.type === 'DELETED' ? [] : podConfigRefs(event.pod);
    const nextKeys = next.map(configRefKey);
    const before = this.refsOfPod.get(key) ?? [];
    if (nextKeys.length === 0) this.refsOfPod.delete(key);
    else this.refsOfPod.set(key, nextKeys);
    next.forEach((ref, i) => {
      if (before.includes(nextKeys[i] as string)) return;
      const entry = this.wanted.get(nextKeys[i] as string);
      if (entry) return void entry.pods++;
      this.wanted.set(nextKeys[i] as string, { ref, pods: 1 });
      const object = this.lookup(ref);
      this.listener(object ? { type: 'ADDED', object } : { type: 'ABSENT', object: stub(ref) });
    });
    for (const old of before) {
      if (nextKeys.includes(old)) continue;
      const entry = this.wanted.get(old);
      if (!entry || --entry.pods > 0) continue;
      this.wanted.delete(old);
      this.listener({ type: 'DELETED', object: stub(entry.ref) });
    }
  }

  objectChanged(ref: ConfigRef, type: StoreEventType, object: BerthObject): void {
    if (!this.wanted.has(configRefKey(ref))) return;
    this.listener(type === 'DELETED' ? { type: 'ABSENT', object: stub(ref) } : { type, object });
  }
}

/**
 * NodeConfigFeed is used to serve NodeAPI.WatchConfigObjects: each node gets only the ConfigMaps
 * and Secrets that pods bound to it refer to (a Secret no pod of the node needs never reaches
 * it), and an explicit ABSENT for a referenced one that does not exist, so the agent can tell
 * "missing" from "not heard of yet". One informer per kind serves every node; the pods come
 * from the NodePodIndex. Lifecycle: informers start on the first subscribe, run until stop().
 */
export class NodeConfigFeed {
  private readonly configMaps: Informer;
  private readonly secrets: Informer;
  private readonly subscriptions = new Set<NodeSubscription>();

  constructor(store: ObjectStore, private readonly pods: NodePodIndex, private readonly logger: Logger) {
    this.configMaps = new Informer(RESOURCE.configmaps, store, logger);
    this.secrets = new Informer(RESOURCE.secrets, store, logger);
    this.configMaps.onChange((type, object) => this.changed('ConfigMap', type, object));
    this.secrets.onChange((type, object) => this.changed('Secret', type, object));
  }

  /**
   * subscribe sends every object the node's pods refer to (ADDED or ABSENT), then changes.
   * Returns the function that ends the subscription.
   */
  async subscribe(node: string, listener: ConfigFeedListener): Promise<() => void> {
    await Promise.all([this.configMaps.ensureStarted(), this.secrets.ensureStarted()]);
    const subscription = new NodeSubscription(listener, (ref) => (ref.kind === 'ConfigMap' ? this.configMaps : this.secrets).get(`${ref.namespace}/${ref.name}`));
    this.subscriptions.add(subscription);
    try {
      const stopPods = await this.pods.subscribe(node, (event) => subscription.podChanged(event));
      return () => {
        stopPods();
        this.subscriptions.delete(subscription);
      };
    } catch (err) {
      this.subscriptions.delete(subscription);
      throw err;
    }
  }

  stop(): void {
    this.configMaps.stop();
    this.secrets.stop();
    this.subscriptions.clear();
  }

  private changed(kind: ConfigRef['kind'], type: StoreEventType, object: BerthObject): void {
    const ref: ConfigRef = { kind, namespace: object.metadata.namespace ?? 'default', name: object.metadata.name };
    for (const subscription of this.subscriptions) {
      try {
        subscription.objectChanged(ref, type, object);
      } catch (err) {
        this.logger.warn('config watch listener failed', { kind, namespace: ref.namespace, name: ref.name, error: String(err) });
      }
    }
  }
}
