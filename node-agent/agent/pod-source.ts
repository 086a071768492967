import type { Logger } from 'winston';
import type { Pod } from '../../proto/objects/pod.js';
import { ListWatch } from '../watch/list-watch.js';
import type { ChangeType, ListWatchHandler } from '../watch/list-watch.js';
import type { NodeClient } from './node-client.js';
import type { PodManager } from './pod-manager.js';

/**
 * PodSource is used to feed the PodManager from NodeAPI.WatchPods (a ListWatch: every
 * reconnection starts with the full list of the node's pods, so nothing missed while
 * disconnected is lost: the manager is level-triggered). Lifecycle: start() runs until stop().
 */
export class PodSource implements ListWatchHandler<Pod> {
  private readonly watch: ListWatch<Pod>;
  /** The uids listed since the last (re)connection. */
  private readonly seen = new Set<string>();
  /** Work for one event is chained, so events apply in order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(client: NodeClient, private readonly pods: PodManager, private readonly logger: Logger) {
    this.watch = new ListWatch('pod watch', () => client.watchPods(), this, logger);
  }

  start(): void {
    this.watch.start();
  }

  stop(): void {
    this.watch.stop();
  }

  relist(): void {
    this.seen.clear();
  }

  listed(): void {
    const listed = new Set(this.seen);
    this.enqueue(() => this.pods.listed(listed));
  }

  change(type: ChangeType, pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    if (type === 'DELETED') {
      this.seen.delete(uid);
      return this.enqueue(() => this.pods.remove(uid));
    }
    this.seen.add(uid);
    this.enqueue(() => this.pods.upsert(pod));
  }

  private enqueue(work: () => Promise<void>): void {
    // A removal (stop with grace period) must not hold up other pods: only the manager's own bookkeeping is ordered.
    this.chain = this.chain.then(work).catch((err: unknown) => {
      this.logger.error('applying a pod event failed', { error: String(err) });
    });
  }
}
