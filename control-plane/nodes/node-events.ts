import type { Logger } from 'winston';
import type { Event } from '../../proto/objects/cluster.js';
import { InvalidError } from '../errors.js';
import { EventRecorder } from '../events/event-recorder.js';
import type { EventWriter } from '../events/event-writer.js';

/**
 * NodeEvents is used by NodeAPI.RecordEvent: agents report Pulling, Started, BackOff… and the
 * control plane writes them through an EventRecorder per node (source berth-agent, host = the
 * node), which folds repeats into one Event with a growing count and expires them after an hour.
 */
export class NodeEvents {
  private readonly recorders = new Map<string, EventRecorder>();

  /** `writer` is the process's EventWriter: the agents' events share its group commit. */
  constructor(private readonly writer: EventWriter, private readonly logger: Logger) {}

  /** Records asynchronously; returns the event as it will be written (without server fields). */
  record(nodeName: string, event: Partial<Event>): Partial<Event> {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new InvalidError('an event must be a mapping');
    const about = event.involvedObject;
    if (!about?.kind || !about.name) throw new InvalidError('an event needs involvedObject.kind and involvedObject.name');
    if (!event.reason) throw new InvalidError('an event needs a reason');
    for (const field of ['kind', 'name'] as const) if (typeof about[field] !== 'string') throw new InvalidError(`involvedObject.${field} must be a string`);
    if (typeof event.reason !== 'string') throw new InvalidError('reason must be a string');
    for (const field of ['apiVersion', 'namespace', 'uid'] as const) if (about[field] !== undefined && typeof about[field] !== 'string') throw new InvalidError(`involvedObject.${field} must be a string`);
    if (event.message !== undefined && typeof event.message !== 'string') throw new InvalidError('message must be a string');
    let recorder = this.recorders.get(nodeName);
    if (!recorder) this.recorders.set(nodeName, (recorder = new EventRecorder(this.writer, 'berth-agent', this.logger, nodeName)));
    recorder.record(
      {
        apiVersion: about.apiVersion ?? 'v1',
        kind: about.kind,
        metadata: { name: about.name, ...(about.namespace ? { namespace: about.namespace } : {}), ...(about.uid ? { uid: about.uid } : {}) },
      },
      event.type === 'Warning' ? 'Warning' : 'Normal',
      event.reason,
      event.message ?? '',
    );
    return { ...event, source: { component: 'berth-agent', host: nodeName } };
  }
}
