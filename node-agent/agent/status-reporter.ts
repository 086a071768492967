import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import type { PodStatus } from '../../proto/objects/pod.js';
import { EndOfTurn } from './end-of-turn.js';
import type { NodeClient } from './node-client.js';

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
  /** Refusals of this pod's status in a row (not NOT_FOUND), for its own back-off. */
  failures: number;
  /** Not to be sent before this time (ms since the epoch): the pod's back-off. */
  retryAt: number;
}

/** At most this many statuses per call (a message stays far below gRPC's size limit). */
const MAX_BATCH = 200;

function backoffMs(failures: number): number {
  return Math.min(500 * 2 ** (failures - 1), 5_000);
}

/**
 * StatusReporter is used to send each pod's status through NodeAPI.UpdatePodStatuses only when
 * it changed. All the node's changed statuses go in one call, and while a call is in flight
 * new changes wait for it and go in the next one (group commit): 100 pods starting cost a
 * handful of calls, not 200. Reports of one pod before its status is sent are coalesced: only
 * the last one is serialized and sent.
 *
 * While the control plane is unreachable, calls are retried (500 ms doubling to 5 s), so the
 * latest statuses arrive once it is back. A status refused on its own is retried with the same
 * back-off for that pod; NOT_FOUND (the pod is deleted or no longer bound here) ends the
 * reporting of that pod's status.
 */
export class StatusReporter {
  private readonly entries = new Map<string, Entry>();
  private readonly flushAtTurnEnd = new EndOfTurn(() => this.flush());
  private inFlight = false;
  /** Set while the whole call is backing off (control plane unreachable). */
  private callTimer: NodeJS.Timeout | undefined;
  private callFailures = 0;
  /** Set while only some pods back off: wakes the reporter when the first may go again. */
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly client: NodeClient, private readonly logger: Logger) {}

  /** report queues `status` for the pod; nothing is sent when it equals the last one sent. Reports of one turn share a call. */
  report(pod: PodRef, status: PodStatus): void {
    let entry = this.entries.get(pod.uid);
    if (!entry) this.entries.set(pod.uid, (entry = { pod, wanted: '', failures: 0, retryAt: 0 }));
    entry.pod = pod;
    entry.latest = status;
    this.flushAtTurnEnd.request();
  }

  /** forget stops reporting a pod (it is being removed). */
  forget(uid: string): void {
    this.entries.delete(uid);
  }

  /** pending counts pods whose latest status has not reached the control plane yet. */
  get pending(): number {
    return [...this.entries.values()].filter((e) => e.latest !== undefined || e.wanted !== e.sent).length;
  }

  private flush(): void {
    if (this.inFlight || this.callTimer) return;
    const now = Date.now();
    const batch: Array<{ entry: Entry; body: string }> = [];
    let nextRetry = Infinity;
    for (const entry of this.entries.values()) {
      if (entry.latest) entry.wanted = JSON.stringify(entry.latest);
      entry.latest = undefined;
      if (entry.wanted === entry.sent) continue;
      if (entry.retryAt > now) nextRetry = Math.min(nextRetry, entry.retryAt);
      else if (batch.length < MAX_BATCH) batch.push({ entry, body: entry.wanted });
    }
    this.wakeAt(nextRetry);
    if (batch.length === 0) return;
    this.inFlight = true;
    this.client.updatePodStatuses(batch.map(({ entry, body }) => ({ ...entry.pod, statusJson: body }))).then(
      (results) => {
        this.inFlight = false;
        this.callFailures = 0;
        results.forEach(({ code, message }, i) => this.settle(batch[i]!.entry, batch[i]!.body, code, message));
        this.flush();
      },
      (err: unknown) => {
        this.inFlight = false;
        this.callFailures++;
        const delay = backoffMs(this.callFailures);
        this.logger.debug('pod status updates failed; retrying', { pods: batch.length, delayMs: delay, error: String(err) });
        this.callTimer = setTimeout(() => {
          this.callTimer = undefined;
          this.flush();
        }, delay);
      },
    );
  }

  private settle(entry: Entry, body: string, code: number, message: string): void {
    const pod = `${entry.pod.namespace}/${entry.pod.name}`;
    if (code === grpc.status.OK || code === grpc.status.NOT_FOUND) {
      if (code === grpc.status.NOT_FOUND) this.logger.debug('pod status not accepted: pod gone from this node', { pod });
      entry.sent = body;
      entry.failures = 0;
      entry.retryAt = 0;
      return;
    }
    entry.failures++;
    entry.retryAt = Date.now() + backoffMs(entry.failures);
    this.logger.debug('pod status update refused; retrying', { pod, code, error: message });
  }

  private wakeAt(when: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (when === Infinity) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.flush();
    }, Math.max(0, when - Date.now()));
  }
}
