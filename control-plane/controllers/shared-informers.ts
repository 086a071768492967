import type { Logger } from 'winston';
import { resourceByName } from '../../proto/resources.js';
import type { ObjectStore } from '../store/object-store.js';
import { Informer } from './informer.js';

/**
 * SharedInformers hands out one Informer per resource, however many controllers ask for it, so
 * each resource is listed and watched once. Lifecycle: ask for every informer with forResource(),
 * then start() (resolves when all have synced), then stop().
 */
export class SharedInformers {
  private readonly informers = new Map<string, Informer>();
  private started = false;

  constructor(private readonly store: ObjectStore, private readonly logger: Logger) {}

  forResource(resource: string): Informer {
    const existing = this.informers.get(resource);
    if (existing) return existing;
    if (this.started) throw new Error(`informer for ${resource} requested after the shared informers started; request every informer before start()`);
    const info = resourceByName(resource);
    if (!info) throw new Error(`no such resource: ${resource}`);
    const informer = new Informer(info, this.store, this.logger);
    this.informers.set(resource, informer);
    return informer;
  }

  async start(): Promise<void> {
    this.started = true;
    try {
      await Promise.all([...this.informers.values()].map((i) => i.start()));
    } catch (err) {
      this.stop();
      throw err;
    }
  }

  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
  }
}
