import type { Logger } from 'winston';
import { ListWatch } from '../watch/list-watch.js';
import type { ChangeType, ListWatchHandler, WatchStream } from '../watch/list-watch.js';
import { laterRevision } from './revision.js';
import { objectIdOf, type ServiceCache, type ServiceObject } from './service-cache.js';

/**
 * ServiceSource is used to feed the ServiceCache from NodeAPI.WatchServices (a ListWatch: each
 * (re)connection lists everything again and ends the listing with a BOOKMARK, after which the
 * cache forgets what was not listed). It also keeps the cache's `revision`: listed objects come
 * in no order of revision, so a listing counts as far as its BOOKMARK says (or its newest
 * EndpointSlice); after it, each EndpointSlice event counts as far as its resourceVersion.
 * Only EndpointSlices move the revision: the control plane merges two watches (Services and
 * EndpointSlices) into the stream, so a Service event can arrive before a slice event of a lower
 * revision, and counting it would claim that slice change too early. What the revision answers
 * (has this node stopped routing to a pod? WaitEndpointsDrained) is a question about slices, and
 * slice events arrive in revision order.
 * Lifecycle: start() runs until stop().
 */
export class ServiceSource implements ListWatchHandler<ServiceObject> {
  private readonly watch: ListWatch<ServiceObject>;
  /** The objects listed since the last (re)connection. */
  private readonly seen = new Set<string>();
  private listing = true;
  /** The newest resourceVersion among the EndpointSlices of the listing under way. */
  private listedRevision: string | undefined;

  /**
   * `applied` hears, after each complete listing and each later event, that the cache includes
   * everything up to its `revision`; `relisted` is true for a listing.
   */
  constructor(open: () => WatchStream, private readonly cache: ServiceCache, logger: Logger, private readonly applied: (relisted: boolean) => void = () => undefined) {
    this.watch = new ListWatch('service watch', open, this, logger);
  }

  start(): void {
    this.watch.start();
  }

  stop(): void {
    this.watch.stop();
  }

  relist(): void {
    this.seen.clear();
    this.listing = true;
    this.listedRevision = undefined;
  }

  listed(resourceVersion?: string): void {
    this.listing = false;
    this.cache.listed(this.seen);
    this.cache.revision = laterRevision(this.cache.revision, resourceVersion ?? this.listedRevision);
    this.applied(true);
  }

  change(type: ChangeType, object: ServiceObject): void {
    if (this.listing) this.seen.add(objectIdOf(object));
    if (type === 'DELETED') this.cache.remove(object);
    else this.cache.upsert(object);
    // After the change is applied: its listeners saw the revision before it.
    // Services do not move the revision (see the class comment).
    const rv = object.kind === 'EndpointSlice' ? object.metadata?.resourceVersion : undefined;
    if (this.listing) {
      this.listedRevision = laterRevision(this.listedRevision, rv);
      return;
    }
    this.cache.revision = laterRevision(this.cache.revision, rv);
    this.applied(false);
  }
}
