import type { Logger } from 'winston';
import type { BerthObject } from '../../proto/objects/meta.js';
import { resourceByName } from '../../proto/resources.js';
import type { ObjectStore } from '../store/object-store.js';
import type { StoreEventType } from '../store/prefix-watch.js';
import { Informer } from './informer.js';
import type { InformerHandler, ObjectCache } from './object-cache.js';

/**
 * SharedInformers hands out one informer per resource, however many controllers ask for it, so
 * each resource is listed and watched once. Lifecycle: ask for every informer with forResource(),
 * then start() (resolves when all have synced), then stop().
 *
 * `borrowed` informers live longer than this set (the control plane's pod informer, which also
 * serves NodeAPI): they are used as they are, started only if nobody has started them, and never
 * stopped here. Each gets a TermView, so that the handlers of this set's controllers see every
 * object already cached as ADDED at start(), as a fresh informer's would, and are removed at stop().
 */
export class SharedInformers {
  private readonly caches = new Map<string, ObjectCache>();
  private readonly owned: Informer[] = [];
  private readonly views: TermView[] = [];
  private readonly borrowed: Map<string, Informer>;
  private started = false;

  constructor(private readonly store: ObjectStore, private readonly logger: Logger, borrowed: readonly Informer[] = []) {
    this.borrowed = new Map(borrowed.map((i) => [i.info.resource, i]));
  }

  forResource(resource: string): ObjectCache {
    const existing = this.caches.get(resource);
    if (existing) return existing;
    if (this.started) throw new Error(`informer for ${resource} requested after the shared informers started; request every informer before start()`);
    const info = resourceByName(resource);
    if (!info) throw new Error(`no such resource: ${resource}`);
    const borrowed = this.borrowed.get(resource);
    let cache: ObjectCache;
    if (borrowed) {
      const view = new TermView(borrowed, this.logger);
      this.views.push(view);
      cache = view;
    } else {
      const informer = new Informer(info, this.store, this.logger);
      this.owned.push(informer);
      cache = informer;
    }
    this.caches.set(resource, cache);
    return cache;
  }

  async start(): Promise<void> {
    this.started = true;
    try {
      await Promise.all([...this.owned.map((i) => i.start()), ...this.views.map((v) => v.attach())]);
    } catch (err) {
      this.stop();
      throw err;
    }
  }

  stop(): void {
    for (const informer of this.owned) informer.stop();
    for (const view of this.views) view.detach();
  }
}

/**
 * TermView is one SharedInformers' window on a borrowed informer: reads go straight to its cache;
 * handlers are held until attach() and removed by detach().
 */
class TermView implements ObjectCache {
  private readonly handlers: InformerHandler[] = [];
  private remove: (() => void) | undefined;
  private detached = false;

  constructor(private readonly informer: Informer, private readonly logger: Logger) {}

  get info() {
    return this.informer.info;
  }

  get hasSynced(): boolean {
    return this.informer.hasSynced;
  }

  get revision(): string {
    return this.informer.revision;
  }

  onChange(handler: InformerHandler): () => void {
    this.handlers.push(handler);
    return () => {
      const i = this.handlers.indexOf(handler);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  get(key: string): BerthObject | undefined {
    return this.informer.get(key);
  }

  getCopy(key: string): BerthObject | undefined {
    return this.informer.getCopy(key);
  }

  list(filter?: (o: BerthObject) => boolean): BerthObject[] {
    return this.informer.list(filter);
  }

  /** attach starts the informer if needed, replays its cache as ADDED, then follows its changes. */
  async attach(): Promise<void> {
    await this.informer.ensureStarted();
    if (this.detached || this.remove) return;
    // Replay and subscription in one synchronous step: no change can fall in between.
    for (const object of this.informer.list()) this.emit('ADDED', object, undefined);
    this.remove = this.informer.onChange((type, object, previous) => this.emit(type, object, previous));
  }

  detach(): void {
    this.detached = true;
    this.remove?.();
    this.remove = undefined;
  }

  private emit(type: StoreEventType, object: BerthObject, previous: BerthObject | undefined): void {
    for (const handler of this.handlers) {
      try {
        handler(type, object, previous);
      } catch (err) {
        this.logger.error('informer handler failed', { resource: this.informer.info.resource, error: String(err) });
      }
    }
  }
}
