import type { Logger } from 'winston';
import { laterRevision } from './revision.js';

/** ReportSync is used to send one ReportProxySync (NodeClient.reportProxySync in the agent). */
export type ReportSync = (resourceVersion: string) => Promise<void>;

/** Retries of a failed report: 1 s doubling to 30 s, always with the newest revision. */
const retryDelayMs = (failures: number): number => Math.min(1_000 * 2 ** (failures - 1), 30_000);

/**
 * ProxySyncReporter is used to tell the control plane how far the node's service proxy rules
 * reach (NodeAPI.ReportProxySync), coalesced: at most one call in flight, and the next one
 * carries the newest revision offered meanwhile, never an older one than already sent. It never
 * blocks the proxy: offer() returns at once, failures are retried in the background.
 *
 * Lifecycle: offer() after each successful programming; resend() after the service watch
 * (re)listed (a restarted control plane keeps no report); stop() when the proxy stops.
 */
export class ProxySyncReporter {
  private wanted: string | undefined;
  private sent: string | undefined;
  private inFlight = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly send: ReportSync, private readonly logger: Logger) {}

  /** offer asks for `revision` to be reported (ignored when not newer than what was). */
  offer(revision: string | undefined): void {
    const newer = laterRevision(this.wanted, revision);
    if (newer === undefined || newer === this.wanted) return;
    this.wanted = newer;
    if (this.timer === undefined) this.flush();
  }

  /** resend reports the newest revision again, even if sent already: the rules still reach that far. */
  resend(): void {
    this.sent = undefined;
    if (this.timer === undefined) this.flush();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private flush(): void {
    const revision = this.wanted;
    if (this.inFlight || this.stopped || revision === undefined || revision === this.sent) return;
    this.inFlight = true;
    this.send(revision).then(
      () => {
        this.inFlight = false;
        this.failures = 0;
        this.sent = revision;
        this.flush();
      },
      (err: unknown) => {
        this.inFlight = false;
        this.failures++;
        const delay = retryDelayMs(this.failures);
        // Once is enough to say it: a control plane that lacks the call says so every time.
        if (this.failures === 1) this.logger.warn('reporting the service proxy sync failed; retrying', { resourceVersion: revision, error: String(err) });
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.flush();
        }, delay);
        this.timer.unref();
      },
    );
  }
}
