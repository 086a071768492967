import type { Logger } from 'winston';
import type { WatchEvent__Output } from '../../proto/generated/berth/v1/WatchEvent.js';
import { INITIAL_EVENTS_END } from '../../proto/grpc.js';

/** WatchStream is the part of a NodeAPI watch stream (a gRPC server stream) that ListWatch uses. */
export interface WatchStream {
  on(event: 'data', listener: (event: WatchEvent__Output) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeAllListeners(event: 'data'): unknown;
  cancel(): void;
}

/** ChangeType is what happened to one object of a watch. */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';
const CHANGE_TYPES: readonly string[] = ['ADDED', 'MODIFIED', 'DELETED'];

/**
 * ListWatchHandler is what a NodeAPI list-then-watch stream feeds, in this order on every
 * (re)connection: relist(), then every object as ADDED, then listed() (the stream's BOOKMARK),
 * then changes. What was not listed after a relist() is gone.
 */
export interface ListWatchHandler<T, C extends string = ChangeType> {
  relist(): void;
  change(type: C, object: T): void;
  /** `resourceVersion` is the listing's, when the BOOKMARK carries one (metadata.resourceVersion). */
  listed(resourceVersion?: string): void;
}

/** bookmarkRevision is the metadata.resourceVersion a BOOKMARK's object carries, if any. */
function bookmarkRevision(json: string): string | undefined {
  try {
    const rv = (JSON.parse(json) as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
    return typeof rv === 'string' && rv !== '' ? rv : undefined;
  } catch {
    return undefined;
  }
}

/**
 * ListWatch is used to follow one of NodeAPI's watches (WatchPods, WatchServices, WatchNodes)
 * for as long as the agent runs: it opens the stream, decodes each event, and reconnects after
 * 500 ms doubling to 5 s whenever the stream breaks; every reconnection lists everything again,
 * so nothing missed while disconnected is lost. Lifecycle: start() runs until stop().
 */
export class ListWatch<T, C extends string = ChangeType> {
  private stopped = false;
  private cancel: (() => void) | undefined;
  private failures = 0;

  /** `what` names the watch in log lines ("pod watch"); `types` are the event types the stream may send besides the BOOKMARK. */
  constructor(
    private readonly what: string,
    private readonly open: () => WatchStream,
    private readonly handler: ListWatchHandler<T, C>,
    private readonly logger: Logger,
    private readonly types: readonly C[] = CHANGE_TYPES as readonly C[],
  ) {}

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
    let ended = false;
    const retry = () => {
      if (ended) return;
      ended = true;
      stream.removeAllListeners('data');
      const delay = Math.min(500 * 2 ** this.failures++, 5_000);
      if (!this.stopped) setTimeout(() => this.connect(), delay).unref();
    };
    this.handler.relist();
    stream.on('data', (event) => {
      this.failures = 0;
      if (event.type === INITIAL_EVENTS_END) return this.handler.listed(bookmarkRevision(event.object_json));
      let object: T;
      try {
        object = JSON.parse(event.object_json) as T;
      } catch {
        return this.logger.warn(`${this.what} sent an object that is not JSON; ignored`, { type: event.type });
      }
      if (!(this.types as readonly string[]).includes(event.type)) {
        return this.logger.warn(`${this.what} sent an event of an unknown type; ignored`, { type: event.type });
      }
      this.handler.change(event.type as C, object);
    });
    stream.on('error', (err) => {
      if (!this.stopped) this.logger.warn(`${this.what} broke; reconnecting`, { error: err.message });
      retry();
    });
    stream.on('end', retry);
  }
}
