import { randomBytes } from 'node:crypto';
import type { Logger } from 'winston';
import type { Event } from '../../proto/objects/cluster.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import { RESOURCE, DEFAULT_NAMESPACE } from '../../proto/resources.js';
import { NotFoundError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import { EventWriter } from './event-writer.js';
import { newIdentity } from '../objects/identity.js';

const events = RESOURCE.events;

/** EventSink is what components use to record events; tests can collect them instead. */
export interface EventSink {
  /** Records asynchronously; never throws, never blocks the caller's work on etcd. */
  record(about: Pick<BerthObject, 'apiVersion' | 'kind' | 'metadata'>, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/**
 * EventRecorder writes Events (shown by `berth describe` and `berth get events`). Repeats of the
 * same reason and message about the same object are folded into one Event whose count grows, as
 * Kubernetes does. Events are bound to an etcd lease and expire after an hour (EventWriter).
 */
export class EventRecorder implements EventSink {
  /** object uid + reason + message → the Event's name, for folding repeats. */
  private readonly recent = new Map<string, string>();
  private readonly writer: EventWriter;
  private readonly store: ObjectStore;

  /** Give the recorders of one process one EventWriter (one group commit for all); a store gets a writer of its own. */
  constructor(writerOrStore: EventWriter | ObjectStore, private readonly component: string, private readonly logger: Logger, private readonly host?: string) {
    this.writer = writerOrStore instanceof EventWriter ? writerOrStore : new EventWriter(writerOrStore);
    this.store = this.writer.store;
  }

  record(about: Pick<BerthObject, 'apiVersion' | 'kind' | 'metadata'>, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.write(about, type, reason, message).catch((err: unknown) =>
      this.logger.warn('could not record event', { reason, object: `${about.kind}/${about.metadata.name}`, error: String(err) }),
    );
  }

  private async write(about: Pick<BerthObject, 'apiVersion' | 'kind' | 'metadata'>, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const namespace = about.metadata.namespace ?? DEFAULT_NAMESPACE;
    const foldKey = `${about.metadata.uid ?? about.metadata.name}|${reason}|${message}`;
    // One identity per event, chosen before any write; a fold uses only its time.
    const identity = newIdentity();
    const now = identity.creationTimestamp;
    const existing = this.recent.get(foldKey);
    if (existing) {
      try {
        await this.store.guaranteedUpdate(events, namespace, existing, (current) => {
          const e = current as Event;
          e.count = (e.count ?? 1) + 1;
          e.lastTimestamp = now;
          return e;
          // A put without a lease would detach the key from it: the event would never expire.
        }, { leaseId: await this.writer.leaseId() });
        return;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        this.recent.delete(foldKey);
      }
    }
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
    await this.writer.create(event);
    this.recent.set(foldKey, name);
    if (this.recent.size > 10_000) this.recent.delete(this.recent.keys().next().value as string);
  }
}
