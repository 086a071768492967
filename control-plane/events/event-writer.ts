import type { Lease as EtcdLease } from 'etcd3';
import type { Event } from '../../proto/objects/cluster.js';
import { RESOURCE } from '../../proto/resources.js';
import type { ObjectStore } from '../store/object-store.js';

const events = RESOURCE.events;

/** How long events live, as in Kubernetes (kube-apiserver --event-ttl). */
export const EVENT_TTL_SECONDS = 3600;

/** Events per group-commit transaction: under etcd's default limit of 128 operations. */
const MAX_EVENTS_PER_TXN = 100;

/**
 * EventWriter is used by EventRecorders to store Events bound to one etcd lease, so they expire
 * after EVENT_TTL_SECONDS and expiry costs etcd one lease, not one per event. New Events are
 * group-committed: those created during one turn of the event loop go to etcd as one
 * transaction, whichever recorder made them (a pod start records several, from the controllers,
 * the scheduler and the pod's agent). Share one writer per process.
 */
export class EventWriter {
  private lease: EtcdLease | undefined;
  private leaseRenewedAt = 0;
  private pending: { event: Event; resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(readonly store: ObjectStore) {}

  /** create stores a new Event (in the next group commit). */
  create(event: Event): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  /** leaseId is the lease every Event is bound to; an updated Event must be put with it again. */
  async leaseId(): Promise<string> {
    if (!this.lease || Date.now() - this.leaseRenewedAt > (EVENT_TTL_SECONDS / 2) * 1000) {
      this.lease = this.store.etcd.lease(EVENT_TTL_SECONDS, { autoKeepAlive: false });
      this.leaseRenewedAt = Date.now();
    }
    try {
      return await this.lease.grant();
    } catch (err) {
      // etcd3 caches the grant's promise: a failed one would fail every event for half an hour.
      this.lease = undefined;
      throw err;
    }
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0, MAX_EVENTS_PER_TXN);
    if (this.pending.length > 0) setImmediate(() => void this.flush());
    try {
      const leaseId = await this.leaseId();
      const stored = batch.length === 1 ? undefined : await this.store.createAll(batch.map((p) => ({ info: events, object: p.event })), [], { leaseId });
      if (stored) {
        for (const p of batch) p.resolve();
        return;
      }
      // One alone, or a name already taken (random suffixes: practically never): one create each.
      await Promise.all(batch.map((p) => this.store.create(events, p.event, { leaseId }).then(() => p.resolve(), p.reject)));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
