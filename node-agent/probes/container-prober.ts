import type { ProbePlan } from './probe-plan.js';
import { firstAttemptAt, nextAttemptAt, recordOutcome, type ProbeOutcome, type ProbeState } from './probe-state.js';
import type { ProbeTarget } from './probe-checks.js';

/** ProbeAttempt is used by a ContainerProber to make one attempt (ProbeChecker.check in the agent). */
export type ProbeAttempt = (plan: ProbePlan, target: ProbeTarget) => Promise<ProbeOutcome>;

/** ContainerProberHooks is used to hear of a ContainerProber's attempts. */
export interface ContainerProberHooks {
  attempt: ProbeAttempt;
  /** How to reach the pod now: its IP may come after the container started. */
  network: () => Pick<ProbeTarget, 'podIP' | 'netnsPath'>;
  /** After each attempt: its outcome, and whether the probe's result changed with it. */
  attempted: (outcome: ProbeOutcome, state: ProbeState, changed: boolean) => void;
}

/**
 * ContainerProber is used to run one probe of one container instance on a timer: no process
 * and no thread while it waits, one attempt at a time (the next is scheduled when one ends),
 * the decisions made by probe-state.ts.
 *
 * Lifecycle: made for an instance that runs, with the time it started and its initial state;
 * start() arms the first attempt; stop() disarms it for good (an attempt in flight is let go:
 * its outcome is dropped, and it ends by its own timeout).
 */
export class ContainerProber {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    readonly plan: ProbePlan,
    readonly containerId: string,
    private readonly startedAtMs: number,
    private current: ProbeState,
    private readonly hooks: ContainerProberHooks,
  ) {}

  get state(): ProbeState {
    return this.current;
  }

  start(): void {
    this.arm(firstAttemptAt(this.startedAtMs, this.plan));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private arm(at: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.attempt(), Math.max(0, at - Date.now()));
    // A prober never keeps a process alive on its own (the agent has its server for that).
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    const began = Date.now();
    let outcome: ProbeOutcome;
    try {
      outcome = await this.hooks.attempt(this.plan, { containerId: this.containerId, ...this.hooks.network() });
    } catch (err) {
      outcome = { result: 'error', message: err instanceof Error ? err.message : String(err) };
    }
    if (this.stopped) return;
    const before = this.current.result;
    this.current = recordOutcome(this.current, outcome, this.plan);
    this.hooks.attempted(outcome, this.current, this.current.result !== before);
    this.arm(nextAttemptAt(began, Date.now(), this.plan));
  }
}
