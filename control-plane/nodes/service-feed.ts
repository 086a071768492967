import type { Logger } from 'winston';
import type { BerthObject } from '../../proto/objects/meta.js';
import { RESOURCE } from '../../proto/resources.js';
import { Informer } from '../watch/informer.js';
import type { ObjectStore } from '../store/object-store.js';
import type { StoreEventType } from '../store/prefix-watch.js';

/** ServiceFeedListener receives Services and Endpoints changes; it must not block. */
export type ServiceFeedListener = (type: StoreEventType, object: BerthObject) => void;

/**
 * ServiceFeed is used by NodeAPI.WatchServices: one shared Informer for Services and one for
 * Endpoints serve every node (service networking needs all of them on every node). Lifecycle:
 * the informers start on the first subscribe and run until stop().
 */
export class ServiceFeed {
  private readonly informers: Informer[];
  private readonly listeners = new Set<ServiceFeedListener>();
  private started: Promise<void> | undefined;

  constructor(store: ObjectStore, private readonly logger: Logger) {
    this.informers = [RESOURCE.services, RESOURCE.endpoints].map((info) => new Informer(info, store, logger));
    for (const informer of this.informers) informer.onChange((type, object) => this.emit(type, object));
  }

  /** Sends every Service and Endpoints as ADDED, then changes. Returns the unsubscribe function. */
  async subscribe(listener: ServiceFeedListener): Promise<() => void> {
    this.started ??= Promise.all(this.informers.map((i) => i.start())).then(
      () => undefined,
      (err: unknown) => {
        this.started = undefined;
        throw err;
      },
    );
    await this.started;
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
        this.logger.warn('service watch listener failed', { error: String(err) });
      }
    }
  }
}
