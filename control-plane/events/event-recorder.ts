import { randomBytes } from 'node:crypto';
import type { Lease as EtcdLease } from 'etcd3';
import type { Logger } from 'winston';
import type { Event } from '../../proto/objects/cluster.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import { DEFAULT_NAMESPACE, resourceByName } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { newIdentity } from '../api/apply-plan.js';
import { NotFoundError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';

const events = resourceByName('events') as ResourceInfo;

/** How long events live, as in Kubernetes (kube-apiserver --event-ttl). */
const EVENT_TTL_SECONDS = 3600;

/** Events per group-commit transaction: under etcd's default limit of 128 operations. */
const MAX_EVENTS_PER_TXN = 100;

/** EventSink is what components use to record events; tests can collect them instead. */
export interface EventSink {
  /** Records asynchronously; never throws, never blocks the caller's work on etcd. */
  record(about: Pick<BerthObject, 'apiVersion' | 'kind' | 'metadata'>, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/**
 * EventRecorder writes Events (shown by `berth describe` and `berth get events`). Repeats of the
 * same reason and message about the same object are folded into one Event whose count grows, as
 * Kubernetes does. Events are bound to an etcd lease and expire after an hour.
 */
export class EventRecorder implements EventSink {
  /** object uid + reason + message → the Event's name, for folding repeats. */
  private readonly recent = new Map<string, string>();
  private lease: EtcdLease | undefined;
  private leaseRenewedAt = 0;
  /** New Events waiting for the next group commit (see createBatched). */
  private pending: { event: Event; resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(private readonly store: ObjectStore, private readonly component: string, private readonly logger: Logger, private readonly host?: string) {}

  record(about: Pick<BerthObject, 'apiVersion' | 'kind' | 'metadata'>, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.write(about, type, reason, message).catch((err: unknown) =>
      this.logger.warn('could not record event', { reason, object: `${about.kind}/${about.metadata.name}`, error: String(err) }),
    );
  }

  private async write(about: Pick<BerthObject, 'apiVersion' | 'kind' | 'metadata'>, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const namespace = about.metadata.namespace ?? DEFAULT_NAMESPACE;
    const foldKey = `${about.metadata.uid ?? about.metadata.name}|${reason}|${message}`;
    const now = newIdentity().creationTimestamp;
    const existing = this.recent.get(foldKey);
    if (existing) {
      try {
        await this.store.guaranteedUpdate(events, namespace, existing, (current) => {
          const e = current as Event;
          e.count = (e.count ?? 1) + 1;
          e.lastTimestamp = now;
          return e;
          // A put without a lease would detach the key from it: the event would never expire.
        }, { leaseId: await this.leaseId() });
        return;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        this.recent.delete(foldKey);
      }
    }
    const identity = newIdentity();
    const name = `${about.metadata.name}.${randomBytes(8).toString('hex')}`;
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace, uid: identity.uid, creationTimestamp: identity.creationTimestamp },
      involvedObject: {
        apiVersion: about.apiVersion,
        kind: about.kind,
        name: about.metadata.name,
        ...(about.metadata.namespace ? { namespace: about.metadata.namespace } : {}),
        ...(about.metadata.uid ? { uid: about.metadata.uid } : {}),
      },
      reason,
      message,
      type,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    await this.createBatched(event);
    this.recent.set(foldKey, name);
    if (this.recent.size > 10_000) this.recent.delete(this.recent.keys().next().value as string);
  }

  /**
   * createBatched is group commit for new Events: those recorded during one turn of the event
   * loop go to etcd as one transaction (a pod start records several per pod), not one each.
   */
  private createBatched(event: Event): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
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

  /** One etcd lease per hour of events, so expiry costs etcd one lease, not one per event. */
  private async leaseId(): Promise<string> {
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
}

/** CollectingEventSink keeps events in memory: for tests of controllers and the scheduler. */
export class CollectingEventSink implements EventSink {
  readonly events: { object: string; type: string; reason: string; message: string }[] = [];
  record(about: Pick<BerthObject, 'kind' | 'metadata'>, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ object: `${about.kind}/${about.metadata.namespace ? `${about.metadata.namespace}/` : ''}${about.metadata.name}`, type, reason, message });
  }
}
