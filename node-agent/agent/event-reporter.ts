import type { Logger } from 'winston';
import type { Pod } from '../../proto/objects/pod.js';
import type { NodeClient } from './node-client.js';

/** EventReporter is used to record pod events (Pulling, Started, BackOff…) through NodeAPI.RecordEvent. */
export interface EventReporter {
  /** Fire and forget: never throws, never blocks the caller's work. */
  pod(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void;
}

/**
 * NodeEventReporter sends events as they happen. Events are best effort, as in Kubernetes:
 * one that cannot be sent (control plane unreachable) is logged and dropped.
 */
export class NodeEventReporter implements EventReporter {
  constructor(private readonly client: NodeClient, private readonly logger: Logger) {}

  pod(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    const event = {
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
    };
    this.logger.debug('event', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, reason, message });
    this.client.recordEvent(event).catch((err: unknown) => this.logger.debug('event not recorded', { reason, error: String(err) }));
  }
}
