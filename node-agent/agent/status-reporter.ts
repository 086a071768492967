import type { Logger } from 'winston';
import type { PodStatus } from '../../proto/objects/pod.js';
import { isNotFound, type NodeClient } from './node-client.js';

/** PodRef names one pod instance. */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

interface Entry {
  pod: PodRef;
  /** The latest status reported and not serialized yet. */
  latest?: PodStatus;
  wanted: string;
  sent?: string;
  inFlight: boolean;
  /** A flush is scheduled for the end of this turn of the event loop. */
  queued: boolean;
  failures: number;
  timer?: NodeJS.Timeout;
}

/**
 * StatusReporter is used to send each pod's status through NodeAPI.UpdatePodStatus only when
 * it changed, and to keep retrying while the control plane is unreachable (500 ms doubling to
 * 5 s), so the latest status arrives once it is back. A NOT_FOUND answer (the pod is deleted or
 * no longer bound here) ends the reporting of that pod. Reports of one pod within the same
 * turn of the event loop are coalesced: only the last one is serialized and sent.
 */
export class StatusReporter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly client: NodeClient, private readonly logger: Logger) {}

  /** report queues `status` for the pod; nothing is sent when it equals the last one sent. */
  report(pod: PodRef, status: PodStatus): void {
    let entry = this.entries.get(pod.uid);
    if (!entry) this.entries.set(pod.uid, (entry = { pod, wanted: '', inFlight: false, queued: false, failures: 0 }));
    entry.pod = pod;
    entry.latest = status;
    if (entry.queued) return;
    entry.queued = true;
    const queued = entry;
    setImmediate(() => {
      queued.queued = false;
      if (queued.latest) queued.wanted = JSON.stringify(queued.latest);
      queued.latest = undefined;
      if (this.entries.get(queued.pod.uid) === queued) this.flush(queued);
    });
  }

  /** forget stops reporting a pod (it is being removed). */
  forget(uid: string): void {
    const entry = this.entries.get(uid);
    if (entry?.timer) clearTimeout(entry.timer);
    this.entries.delete(uid);
  }

  /** pending counts pods whose latest status has not reached the control plane yet. */
  get pending(): number {
    return [...this.entries.values()].filter((e) => e.queued || e.wanted !== e.sent).length;
  }

  private flush(entry: Entry): void {
    if (entry.inFlight || entry.timer || entry.wanted === entry.sent) return;
    entry.inFlight = true;
    const body = entry.wanted;
    this.client.updatePodStatus(entry.pod, body).then(
      () => {
        entry.inFlight = false;
        entry.sent = body;
        entry.failures = 0;
        this.flush(entry);
      },
      (err: unknown) => {
        entry.inFlight = false;
        if (isNotFound(err)) {
          this.logger.debug('pod status not accepted: pod gone from this node', { pod: `${entry.pod.namespace}/${entry.pod.name}` });
          entry.sent = body;
          return;
        }
        entry.failures++;
        const delay = Math.min(500 * 2 ** (entry.failures - 1), 5_000);
        this.logger.debug('pod status update failed; retrying', { pod: `${entry.pod.namespace}/${entry.pod.name}`, delayMs: delay, error: String(err) });
        entry.timer = setTimeout(() => {
          entry.timer = undefined;
          if (this.entries.get(entry.pod.uid) === entry) this.flush(entry);
        }, delay);
      },
    );
  }
}
