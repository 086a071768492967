import type { Etcd3, Lease } from 'etcd3';
import { asStoreError } from './store-errors.js';

/**
 * StoreLease is an etcd lease: keys written with its id vanish when it expires or is revoked.
 * Events are bound to one (they expire after an hour); the leader key to another (leadership
 * ends when its holder stops renewing).
 *
 * Lifecycle: grant() obtains the id (once; a failed grant may be tried again, unlike the etcd3
 * client's lease, which keeps a failed grant for good); with keepAlive the lease is renewed in
 * the background until revoke(), and `onLost` is told once if renewal fails for good.
 */
export interface StoreLease {
  grant(): Promise<string>;
  onLost(handler: (err: Error) => void): void;
  /** Revokes the lease (its keys go at once); errors are swallowed: the lease expires anyway. */
  revoke(): Promise<void>;
}

/** grantLease makes a lease of `ttlSeconds`; see StoreLease. */
export function grantLease(client: Etcd3, ttlSeconds: number, options: { keepAlive: boolean }): StoreLease {
  return new EtcdLease(client, ttlSeconds, options.keepAlive);
}

class EtcdLease implements StoreLease {
  private lease: Lease | undefined;
  private readonly lostHandlers: ((err: Error) => void)[] = [];

  constructor(private readonly client: Etcd3, private readonly ttlSeconds: number, private readonly keepAlive: boolean) {}

  async grant(): Promise<string> {
    if (!this.lease) {
      const lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: this.keepAlive });
      lease.on('lost', (err: Error) => {
        if (this.lease !== lease) return;
        for (const handler of this.lostHandlers) handler(err);
      });
      this.lease = lease;
    }
    const lease = this.lease;
    try {
      return await lease.grant();
    } catch (err) {
      // etcd3 caches the grant's promise: forget this lease so the next grant() asks etcd again.
      if (this.lease === lease) this.lease = undefined;
      throw asStoreError(err);
    }
  }

  onLost(handler: (err: Error) => void): void {
    this.lostHandlers.push(handler);
  }

  async revoke(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    await lease?.revoke().catch(() => undefined);
  }
}
