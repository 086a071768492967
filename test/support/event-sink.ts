import type { EventSink } from '../../control-plane/events/event-recorder.js';
import type { BerthObject } from '../../proto/objects/meta.js';

/** CollectingEventSink keeps events in memory: for tests of controllers and the scheduler. */
export class CollectingEventSink implements EventSink {
  readonly events: { object: string; type: string; reason: string; message: string }[] = [];
  record(about: Pick<BerthObject, 'kind' | 'metadata'>, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ object: `${about.kind}/${about.metadata.namespace ? `${about.metadata.namespace}/` : ''}${about.metadata.name}`, type, reason, message });
  }
}
