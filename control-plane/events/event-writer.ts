import type { Event } from '../../proto/objects/cluster.js';
import { RESOURCE } from '../../proto/resources.js';
import { AlreadyExistsError } from '../errors.js';
import { createObject } from '../store/guarded-change.js';
import type { StoreLease } from '../store/leases.js';
import type { ObjectStore } from '../store/object-store.js';

const events = RESOURCE.events;

/** How long events live, as in Kubernetes (kube-apiserver --event-ttl). */
export const EVENT_TTL_SECONDS = 3600;

/**
 * EventWriter is used by EventRecorders to store Events bound to one etcd lease, so they expire
 * after EVENT_TTL_SECONDS and expiry costs etcd one lease, not one per event. New Events are
 * group-committed: those created during one turn of the event loop go to etcd as one
 * transaction, whichever recorder made them (a pod start records several, from the controllers,
 * the scheduler and the pod's agent). Share one writer per process.
 */
export class EventWriter {
  private lease: StoreLease | undefined;
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
    // A fresh lease every half TTL, so an event always lives at least half an hour.
    if (!this.lease || Date.now() - this.leaseRenewedAt > (EVENT_TTL_SECONDS / 2) * 1000) {
      this.lease = this.store.lease(EVENT_TTL_SECONDS, { keepAlive: false });
      this.leaseRenewedAt = Date.now();
    }
    return this.lease.grant();
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0);
    let leaseId: string;
    try {
      leaseId = await this.leaseId();
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    const results = await this.store.commit(batch.map((p) => createObject(events, p.event, leaseId)));
    batch.forEach((p, i) => {
      const result = results[i];
      if (result?.kind === 'committed') p.resolve();
      // Names carry a random suffix: a taken one is practically impossible, but say so if it happens.
      else if (result?.kind === 'conflict') p.reject(new AlreadyExistsError('events', p.event.metadata.name));
      else p.reject(result?.error);
    });
  }
}
