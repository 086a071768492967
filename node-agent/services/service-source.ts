import type { Logger } from 'winston';
import type { WatchEvent__Output } from '../../proto/generated/berth/v1/WatchEvent.js';
import { INITIAL_EVENTS_END } from '../../proto/grpc.js';
import { objectIdOf, type ServiceCache, type ServiceObject } from './service-cache.js';

/** ServiceStream is the part of a gRPC stream the source uses. */
export interface ServiceStream {
  on(event: 'data', listener: (event: WatchEvent__Output) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeAllListeners(event: 'data'): unknown;
  cancel(): void;
}

/**
 * ServiceSource is used to feed the ServiceCache from NodeAPI.WatchServices, reconnecting
 * (500 ms doubling to 5 s) whenever the stream breaks. Each (re)connection lists everything
 * again and ends the listing with a BOOKMARK, after which the cache forgets what was not listed.
 * Lifecycle: start() runs until stop().
 */
export class ServiceSource {
  private stopped = false;
  private cancel: (() => void) | undefined;
  private failures = 0;

  constructor(private readonly open: () => ServiceStream, private readonly cache: ServiceCache, private readonly logger: Logger) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  private connect(): void {
    if (this.stopped) return;
    const stream = this.open();
    this.cancel = () => stream.cancel();
    const seen = new Set<string>();
    let listing = true;
    let ended = false;
    const retry = () => {
      if (ended) return;
      ended = true;
      stream.removeAllListeners('data');
      const delay = Math.min(500 * 2 ** this.failures++, 5_000);
      if (!this.stopped) setTimeout(() => this.connect(), delay).unref();
    };
    stream.on('data', (event) => {
      this.failures = 0;
      if (event.type === INITIAL_EVENTS_END) {
        listing = false;
        return this.cache.listed(seen);
      }
      let object: ServiceObject;
      try {
        object = JSON.parse(event.object_json) as ServiceObject;
      } catch {
        return this.logger.warn('service watch sent an object that is not JSON; ignored', { type: event.type });
      }
      if (listing) seen.add(objectIdOf(object));
      if (event.type === 'DELETED') this.cache.remove(object);
      else this.cache.upsert(object);
    });
    stream.on('error', (err) => {
      if (!this.stopped) this.logger.warn('service watch broke; reconnecting', { error: err.message });
      retry();
    });
    stream.on('end', retry);
  }
}
