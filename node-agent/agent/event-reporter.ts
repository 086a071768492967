import type { Logger } from 'winston';
import type { Event } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import { EndOfTurn } from './end-of-turn.js';
import type { NodeClient } from './node-client.js';

/** EventReporter is used to record pod events (Pulling, Started, BackOff…) through NodeAPI. */
export interface EventReporter {
  /** Fire and forget: never throws, never blocks the caller's work. */
  pod(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void;
}

/** Events kept while a call is in flight; beyond this the oldest are dropped (best effort). */
const MAX_QUEUED = 1_000;

/**
 * NodeEventReporter sends events through NodeAPI.RecordEvents: those of one turn of the event
 * loop, and those that arrive while a call is in flight, go in one call. Events are best
 * effort, as in Kubernetes: those that cannot be sent (control plane unreachable) are logged
 * and dropped.
 */
export class NodeEventReporter implements EventReporter {
  private queue: Array<Partial<Event>> = [];
  private readonly flushAtTurnEnd = new EndOfTurn(() => this.flush());
  private inFlight = false;

  constructor(private readonly client: NodeClient, private readonly logger: Logger) {}

  pod(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    this.logger.debug('event', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, reason, message });
    this.queue.push({
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        name: pod.metadata.name,
        ...(pod.metadata.namespace ? { namespace: pod.metadata.namespace } : {}),
        ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
        ...(fieldPath ? { fieldPath } : {}),
      },
      type,
      reason,
      message,
    });
    if (this.queue.length > MAX_QUEUED) this.queue.shift();
    this.flushAtTurnEnd.request();
  }

  private flush(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.inFlight = true;
    this.client
      .recordEvents(batch)
      .then(
        (problems) => {
          for (const problem of problems) this.logger.warn('event refused', { problem });
        },
        (err: unknown) => this.logger.debug('events not recorded', { events: batch.length, error: String(err) }),
      )
      .finally(() => {
        this.inFlight = false;
        this.flush();
      });
  }
}
