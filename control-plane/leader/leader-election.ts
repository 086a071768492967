import { randomUUID } from 'node:crypto';
import type { Logger } from 'winston';
import type { StoreLease } from '../store/leases.js';
import type { ObjectStore } from '../store/object-store.js';

/** LeaderCallbacks: what a replica does when it gains or loses leadership. */
export interface LeaderCallbacks {
  /** Start leading. `signal` aborts when leadership is lost; work must stop then. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  onStoppedLeading?(): void;
}

export interface LeaderElectionOptions {
  /** What is being led, e.g. "controllers"; the key is /berth/leader/<name>. */
  name: string;
  /** Seconds without renewal after which another replica may take over. */
  leaseSeconds?: number;
  identity?: string;
}

/**
 * LeaderElection elects one leader among control-plane replicas through etcd (the store's
 * guarded changes, leases and key watches; not the etcd3 library's Election, which can report a
 * resigned campaign as elected). The rule is plain:
 * a replica leads exactly while /berth/leader/<name> holds its identity under its own etcd
 * lease. It takes the key with a transaction that succeeds only if the key is absent; it watches
 * the key and tries again when it goes away; it stops leading as soon as its lease is lost.
 *
 * Lifecycle: start() campaigns in the background until stop(); stop() waits for any campaign in
 * flight to end, then resigns (deletes the key if it is ours) and revokes the lease, so a successor
 * takes over at once instead of after the lease runs out. A candidate that was stopped never
 * starts leading, even if its last campaign won: every step re-checks `stopped` after it awaits.
 */
export class LeaderElection {
  readonly identity: string;
  private readonly key: string;
  private readonly leaseSeconds: number;
  private lease: StoreLease | undefined;
  private leading: AbortController | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly store: ObjectStore, private readonly callbacks: LeaderCallbacks, private readonly logger: Logger, options: LeaderElectionOptions) {
    this.key = `/berth/leader/${options.name}`;
    this.leaseSeconds = options.leaseSeconds ?? 5;
    this.identity = options.identity ?? randomUUID();
  }

  get isLeader(): boolean {
    return this.leading !== undefined && !this.leading.signal.aborted;
  }

  /** start campaigns in the background; failures are logged and retried, never thrown. */
  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.campaignOnce();
      } catch (err) {
        this.logger.warn('leader election: campaign failed; retrying', { key: this.key, error: String(err) });
        this.stepDown();
        await this.sleep(1000);
      }
    }
    await this.resign();
  }

  private async campaignOnce(): Promise<void> {
    if (!this.lease) {
      const lease = this.store.lease(this.leaseSeconds, { keepAlive: true });
      lease.onLost((err) => {
        this.logger.warn('leader election: lease lost', { key: this.key, error: String(err) });
        if (this.lease === lease) this.lease = undefined;
        this.stepDown();
        this.wake?.();
      });
      await lease.grant();
      this.lease = lease;
    }
    const leaseId = await this.lease.grant();
    if (this.stopped) return;
    const outcome = await this.store.transact({ guards: [{ key: this.key, expect: 'absent' }], writes: [{ key: this.key, put: this.identity, leaseId }] });
    const holder = outcome.committed ? this.identity : outcome.current.get(this.key)?.value.toString('utf8');
    if (this.stopped) return;
    if (holder === this.identity) {
      if (!this.isLeader) await this.startLeading();
    } else {
      this.stepDown();
    }
    // Wait until the key changes (deleted, or taken) or our lease is lost, then look again.
    await this.waitForKeyChange();
  }

  private async startLeading(): Promise<void> {
    const controller = new AbortController();
    this.leading = controller;
    this.logger.info('leader election: started leading', { key: this.key, identity: this.identity });
    await this.callbacks.onStartedLeading(controller.signal);
  }

  private stepDown(): void {
    const leading = this.leading;
    if (!leading) return;
    this.leading = undefined;
    leading.abort();
    this.logger.info('leader election: stopped leading', { key: this.key, identity: this.identity });
    this.callbacks.onStoppedLeading?.();
  }

  private async waitForKeyChange(): Promise<void> {
    if (this.stopped || !this.lease) return;
    const watch = await this.store.keys.watchKey(this.key);
    try {
      // Re-check after the watch is in place, so a change just before it is not missed.
      const now = await this.store.keys.readValue(this.key);
      const mine = now === this.identity;
      if ((mine && this.isLeader) || (!mine && now !== undefined && !this.isLeader)) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          void watch.changed.then(resolve);
        });
      }
    } finally {
      this.wake = undefined;
      await watch.cancel();
    }
  }

  /** stop ends the campaign and resigns; it resolves once the key and lease are gone. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stepDown();
    this.wake?.();
    if (this.loop) await this.loop;
    else await this.resign();
  }

  /** resign deletes the key if it holds our identity, and revokes our lease. */
  private async resign(): Promise<void> {
    await this.store.transact({ guards: [{ key: this.key, expect: 'value', value: this.identity }], writes: [{ key: this.key, delete: true }] }).catch(() => undefined);
    await this.lease?.revoke();
    this.lease = undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
