import type { Logger } from 'winston';
import { INITIAL_EVENTS_END } from '../../proto/grpc.js';
import type { Pod } from '../../proto/objects/pod.js';
import type { NodeClient } from './node-client.js';
import type { PodManager } from './pod-manager.js';


/**
 * PodSource is used to feed the PodManager from NodeAPI.WatchPods, reconnecting (500 ms
 * doubling to 5 s) whenever the stream breaks. Every (re)connection starts with the full list
 * of the node's pods, so nothing missed while disconnected is lost: the manager is
 * level-triggered. Lifecycle: start() runs until stop().
 */
export class PodSource {
  private stopped = false;
  private cancel: (() => void) | undefined;
  private failures = 0;
  /** Work for one event is chained, so events apply in order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly client: NodeClient, private readonly pods: PodManager, private readonly logger: Logger) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  private connect(): void {
    if (this.stopped) return;
    const stream = this.client.watchPods();
    this.cancel = () => stream.cancel();
    const seen = new Set<string>();
    let ended = false;
    const retry = () => {
      if (ended) return;
      ended = true;
      stream.removeAllListeners('data');
      const delay = Math.min(500 * 2 ** this.failures++, 5_000);
      if (!this.stopped) setTimeout(() => this.connect(), delay).unref();
    };
    stream.on('data', (event: { type: string; object_json: string }) => {
      this.failures = 0;
      if (event.type === INITIAL_EVENTS_END) {
        const listed = new Set(seen);
        return this.enqueue(() => this.pods.listed(listed));
      }
      const pod = JSON.parse(event.object_json) as Pod;
      const uid = pod.metadata.uid ?? '';
      if (event.type === 'DELETED') {
        seen.delete(uid);
        return this.enqueue(() => this.pods.remove(uid));
      }
      seen.add(uid);
      this.enqueue(() => this.pods.upsert(pod));
    });
    stream.on('error', (err) => {
      if (!this.stopped) this.logger.warn('pod watch broke; reconnecting', { error: err.message });
      retry();
    });
    stream.on('end', retry);
  }

  private enqueue(work: () => Promise<void>): void {
    // A removal (stop with grace period) must not hold up other pods: only the manager's own bookkeeping is ordered.
    this.chain = this.chain.then(work).catch((err: unknown) => {
      this.logger.error('applying a pod event failed', { error: String(err) });
    });
  }
}
