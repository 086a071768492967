import type { Logger } from 'winston';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { ResourceInfo } from '../../proto/resources.js';
import type { ObjectStore } from '../store/object-store.js';
import type { PrefixWatch, StoreEventType } from '../store/prefix-watch.js';
import { cacheKey } from './object-cache.js';
import type { InformerHandler, ObjectCache } from './object-cache.js';
import { deepCopy } from '../objects/json.js';

/**
 * Informer keeps an in-memory copy of one resource, fed by a PrefixWatch (list, then changes; a
 * compaction re-lists). Controllers and the scheduler read from it instead of etcd, and are told
 * of changes through handlers. Objects handed out are the cache's own: copy before changing one,
 * or use getCopy().
 *
 * Lifecycle: start() begins the watch and resolves once the initial list is in the cache
 * (hasSynced); stop() ends the watch. An informer that lives as long as the process and is
 * shared by components that come and go (the pod informer of NodeAPI and of each leadership
 * term's controllers) is started with ensureStarted(), which any of them may call.
 */
export class Informer implements ObjectCache {
  private readonly cache = new Map<string, BerthObject>();
  private readonly handlers: InformerHandler[] = [];
  private watch: PrefixWatch | undefined;
  private synced = false;
  private stopped = false;
  private lastRevision = '0';
  private starting: Promise<void> | undefined;

  constructor(
    readonly info: ResourceInfo,
    private readonly store: ObjectStore,
    private readonly logger: Logger,
  ) {}

  onChange(handler: InformerHandler): () => void {
    this.handlers.push(handler);
    return () => {
      const i = this.handlers.indexOf(handler);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  /** ensureStarted starts the informer once, however many callers ask; a failed start may be tried again. */
  ensureStarted(): Promise<void> {
    this.starting ??= this.start().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** revision is the etcd revision the cache reflects. */
  get revision(): string {
    return this.lastRevision;
  }

  async start(): Promise<void> {
    this.stopped = false;
    // On a restart (see consume), the old cache tells what changed or vanished meanwhile.
    const previous = new Map(this.cache);
    const { items, revision } = await this.store.list(this.info, undefined, { onUnreadable: (key, err) => this.logger.error('cannot read a stored object; left out', { key, error: err instanceof Error ? err.message : String(err) }) });
    // stop() may have come while the list was in flight (e.g. a sibling informer failed).
    if (this.stopped) return;
    this.cache.clear();
    for (const item of items) this.cache.set(cacheKey(item), item);
    this.lastRevision = revision;
    this.synced = true;
    for (const item of items) {
      const before = previous.get(cacheKey(item));
      if (!before) this.emit('ADDED', item, undefined);
      else if (before.metadata.resourceVersion !== item.metadata.resourceVersion) this.emit('MODIFIED', item, before);
    }
    for (const [key, before] of previous) if (!this.cache.has(key)) this.emit('DELETED', before, before);
    // The cache holds every object's last state, so the watch need not carry previous values.
    const watch = this.store.watch(this.info, undefined, { fromRevision: revision, previousValues: false, onRecover: (what) => this.logger.warn(what) });
    this.watch = watch;
    void this.consume(watch);
  }

  stop(): void {
    this.stopped = true;
    this.starting = undefined;
    this.watch?.close();
    this.watch = undefined;
  }

  get(key: string): BerthObject | undefined {
    return this.cache.get(key);
  }

  getCopy(key: string): BerthObject | undefined {
    const o = this.cache.get(key);
    return o && deepCopy(o);
  }

  list(filter?: (o: BerthObject) => boolean): BerthObject[] {
    const all = [...this.cache.values()];
    return filter ? all.filter(filter) : all;
  }

  private async consume(watch: PrefixWatch): Promise<void> {
    try {
      for await (const event of watch) {
        const key = cacheKey(event.object);
        const previous = this.cache.get(key);
        let object = event.object;
        if (event.type === 'DELETED') {
          this.cache.delete(key);
          // The watch sends only the identity of a deleted object: hand out its last known state.
          if (previous) object = { ...previous, metadata: { ...previous.metadata, resourceVersion: event.revision } };
        } else this.cache.set(key, object);
        this.lastRevision = event.revision;
        this.emit(event.type, object, previous);
      }
    } catch (err) {
      // The start revision was compacted before the watch began: list again from scratch.
      this.logger.warn('informer watch failed; listing again', { resource: this.info.resource, error: String(err) });
      if (this.watch !== watch || this.stopped) return;
      this.synced = false;
      // Keep trying: a controller reading a cache that no longer follows etcd acts on stale data.
      for (let delayMs = 200; !this.stopped; delayMs = Math.min(delayMs * 2, 10_000)) {
        try {
          await this.start();
          return;
        } catch (e) {
          this.logger.error('informer restart failed; retrying', { resource: this.info.resource, delayMs, error: String(e) });
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
      }
    }
  }

  private emit(type: StoreEventType, object: BerthObject, previous: BerthObject | undefined): void {
    for (const handler of this.handlers) {
      try {
        handler(type, object, previous);
      } catch (err) {
        this.logger.error('informer handler failed', { resource: this.info.resource, error: String(err) });
      }
    }
  }
}
