import type { Logger } from 'winston';
import type { Node } from '../../proto/objects/cluster.js';
import { isNotFound, type NodeClient } from './node-client.js';

/** How often the agent renews its lease (the node-lifecycle controller's grace period is 5 s). */
export const HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * NodeLease is used to register the node (retrying until the control plane answers) and then
 * renew its lease about every second. A heartbeat answered NOT_FOUND (the Node object was
 * deleted) registers again. Each registration's pod CIDR is handed to `onRegistered` before
 * anything else goes on. Lifecycle: start() resolves once registered; stop() ends the beats.
 */
export class NodeLease {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  podCIDR = '';

  constructor(
    private readonly client: NodeClient,
    private readonly node: () => Promise<Node>,
    private readonly logger: Logger,
    private readonly onRegistered: (podCIDR: string) => Promise<void> = async () => undefined,
  ) {}

  async start(): Promise<void> {
    await this.register();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async register(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const { podCIDR } = await this.client.register(await this.node());
        this.podCIDR = podCIDR;
        this.logger.info('node registered', { podCIDR });
        await this.onRegistered(podCIDR);
        return;
      } catch (err) {
        const delay = Math.min(500 * 2 ** attempt, 5_000);
        this.logger.warn('registration failed; retrying', { delayMs: delay, error: String(err) });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
  }

  private async beat(): Promise<void> {
    try {
      await this.client.heartbeat();
    } catch (err) {
      if (isNotFound(err)) await this.register();
      else this.logger.debug('heartbeat failed', { error: String(err) });
    }
    this.schedule();
  }
}
