import type { Logger } from 'winston';
import type { EventSink } from '../events/event-recorder.js';

type About = Parameters<EventSink['record']>[0];

interface QueuedEvent {
  about: About;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface EventPacerOptions {
  /** Events passed on per second while the scheduler is busy binding (default 200). */
  busyRatePerSecond?: number;
  /** Events passed on per second once it is idle (default 2,000): a backlog drains without a burst of thousands of writes at once. */
  idleRatePerSecond?: number;
  /** Events held at most; beyond that new ones are dropped and counted (as Kubernetes' broadcaster drops when its queue is full). */
  maxQueued?: number;
}

const TICK_MS = 100;

/**
 * EventPacer is used by the scheduler to record its events (Scheduled, FailedScheduling)
 * without letting them crowd out bindings: each event is one etcd write, so 10,000 pods
 * scheduled at once would otherwise double the writes in the critical path. While the scheduler
 * is busy, events go to the sink at a modest rate, and faster once it is idle (a backlog is
 * never released all at once: every event is a write the process and etcd must carry).
 * Events are best-effort, as in Kubernetes; a binding never waits for one.
 */
export class EventPacer implements EventSink {
  private readonly queue: QueuedEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private dropped = 0;

  constructor(
    private readonly sink: EventSink,
    private readonly isBusy: () => boolean,
    private readonly logger: Logger,
    private readonly options: EventPacerOptions = {},
  ) {}

  record(about: About, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (!this.isBusy() && this.queue.length === 0) {
      this.sink.record(about, type, reason, message);
      return;
    }
    if (this.queue.length >= (this.options.maxQueued ?? 50_000)) {
      this.dropped++;
      return;
    }
    this.queue.push({ about, type, reason, message });
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
      // Pending events alone do not keep a process alive: they are best-effort.
      this.timer.unref();
    }
  }

  private tick(): void {
    const rate = this.isBusy() ? (this.options.busyRatePerSecond ?? 200) : (this.options.idleRatePerSecond ?? 2000);
    this.release(Math.max(1, Math.floor((rate * TICK_MS) / 1000)));
  }

  private release(count: number): void {
    for (const e of this.queue.splice(0, count)) this.sink.record(e.about, e.type, e.reason, e.message);
    if (this.queue.length === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      if (this.dropped > 0) {
        this.logger.warn('scheduler events dropped: too many queued while binding', { dropped: this.dropped });
        this.dropped = 0;
      }
    }
  }
}
