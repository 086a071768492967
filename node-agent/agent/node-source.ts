import type { Logger } from 'winston';
import { INITIAL_EVENTS_END } from '../../proto/grpc.js';
import type { Node } from '../../proto/objects/cluster.js';
import type { NodeClient } from './node-client.js';

/** NodeListener is what NodeSource feeds: a fresh start per (re)connection, then each Node's changes. */
export interface NodeListener {
  /** A new stream: every Node follows as upsert(), then listed(); what is not among them is gone. */
  resync(): void;
  /** The stream's initial list is complete. */
  listed(): void;
  upsert(node: Node): void;
  remove(node: Node): void;
}

/**
 * NodeSource is used to feed a NodeListener (the routes to other nodes' pods) from
 * NodeAPI.WatchNodes, reconnecting (500 ms doubling to 5 s) whenever the stream breaks. Every
 * (re)connection starts with every Node as ADDED, then a BOOKMARK. Lifecycle: start() runs until stop().
 */
export class NodeSource {
  private stopped = false;
  private cancel: (() => void) | undefined;
  private failures = 0;

  constructor(private readonly client: NodeClient, private readonly listener: NodeListener, private readonly logger: Logger) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  private connect(): void {
    if (this.stopped) return;
    const stream = this.client.watchNodes();
    this.cancel = () => stream.cancel();
    let ended = false;
    let first = true;
    const retry = () => {
      if (ended) return;
      ended = true;
      stream.removeAllListeners('data');
      const delay = Math.min(500 * 2 ** this.failures++, 5_000);
      if (!this.stopped) setTimeout(() => this.connect(), delay).unref();
    };
    stream.on('data', (event: { type: string; object_json: string }) => {
      this.failures = 0;
      if (first) {
        first = false;
        this.listener.resync();
      }
      if (event.type === INITIAL_EVENTS_END) return this.listener.listed();
      let node: Node;
      try {
        node = JSON.parse(event.object_json) as Node;
      } catch {
        return this.logger.warn('node watch sent an event that is no JSON object; ignored', { type: event.type });
      }
      if (!node.metadata?.name) return this.logger.warn('node watch sent an event without a Node; ignored', { type: event.type });
      if (event.type === 'DELETED') this.listener.remove(node);
      else this.listener.upsert(node);
    });
    stream.on('error', (err) => {
      if (!this.stopped) this.logger.warn('node watch broke; reconnecting', { error: err.message });
      retry();
    });
    stream.on('end', retry);
  }
}
