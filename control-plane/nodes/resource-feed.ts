import type { Logger } from 'winston';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { Informer } from '../watch/informer.js';
import type { ObjectStore } from '../store/object-store.js';
import type { StoreEventType } from '../store/prefix-watch.js';

/** FeedListener receives the changes of a feed's objects; it must not block. */
export type FeedListener = (type: StoreEventType, object: BerthObject) => void;

/**
 * ResourceFeed is used by the NodeAPI streams that every node needs whole: WatchServices
 * (Services and EndpointSlices, for the service proxy and DNS) and WatchNodes (Nodes, for routes
 * to other nodes' pod CIDRs), and heartbeats (what each node was last seen as). One shared
 * Informer per resource serves every node. Lifecycle: the informers start on the first
 * subscribe (or start()) and run until stop().
 */
export class ResourceFeed {
  private readonly informers: Informer[];
  private readonly listeners = new Set<FeedListener>();
  private started: Promise<void> | undefined;

  constructor(store: ObjectStore, private readonly logger: Logger, resources: readonly ResourceInfo[]) {
    this.informers = resources.map((info) => new Informer(info, store, logger));
    for (const informer of this.informers) informer.onChange((type, object) => this.emit(type, object));
  }

  /** start lists every resource once (on first use) and then follows it; a failed start may be tried again. */
  start(): Promise<void> {
    this.started ??= Promise.all(this.informers.map((i) => i.start())).then(
      () => undefined,
      (err: unknown) => {
        this.started = undefined;
        throw err;
      },
    );
    return this.started;
  }

  /** cached is the feed's copy of an object by cache key (`namespace/name` or `name`); it may lag etcd a little. */
  cached(key: string): BerthObject | undefined {
    for (const informer of this.informers) {
      const object = informer.get(key);
      if (object) return object;
    }
    return undefined;
  }

  /** Sends every object as ADDED, then changes. Returns the unsubscribe function. */
  async subscribe(listener: FeedListener): Promise<() => void> {
    await this.start();
    for (const informer of this.informers) for (const object of informer.list()) listener('ADDED', object);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    for (const informer of this.informers) informer.stop();
    this.listeners.clear();
  }

  private emit(type: StoreEventType, object: BerthObject): void {
    for (const listener of this.listeners) {
      try {
        listener(type, object);
      } catch (err) {
        this.logger.warn('feed listener failed', { error: String(err) });
      }
    }
  }
}
