import type { Container } from '../../proto/objects/pod.js';
import { ContainerProber, type ProbeAttempt } from './container-prober.js';
import type { ProbeTarget } from './probe-checks.js';
import { PROBE_FIELD, kindsToRun, planProbe, type ProbeKind, type ProbePlan } from './probe-plan.js';
import { initialProbeState, shouldReportFailure, unhealthyMessage, type ProbeResult } from './probe-state.js';

/** ProbedContainer is used to tell PodProbes about one container of its pod. */
export interface ProbedContainer {
  spec: Container;
  /** The instance that runs now; none while nothing runs. */
  running?: {
    id: string;
    startedAtMs: number;
    /** An earlier agent reported this very instance ready: its readiness starts there. */
    readyBefore?: boolean;
  };
}

/** PodProbesListener is used to hear what a pod's probes find. */
export interface PodProbesListener {
  /**
   * A probe's result changed for instance `instanceId`: readiness makes its container (un)ready;
   * a liveness or startup `failure` means the instance is to be killed and restarted.
   */
  resultChanged(container: string, kind: ProbeKind, result: ProbeResult, instanceId: string): void;
  /** An attempt failed or errored; paced to one call per probe every UNHEALTHY_EVENT_INTERVAL_MS. `message` is the event's text. */
  unhealthy(container: string, kind: ProbeKind, message: string): void;
}

/**
 * PodProbes is used by a pod worker to keep one ContainerProber per probe of each running
 * container instance: sync() starts and stops them to match what runs, result() says what they
 * found. A pod without probes costs nothing: no prober, no timer. Which probes run follows
 * kindsToRun: an instance's startup probe alone until it succeeds, then liveness and readiness.
 * The worker's decision (pod-decision.ts) turns a liveness or startup failure into a kill and a
 * restart; readiness only changes status.
 *
 * Lifecycle: sync() after each of the worker's syncs (with the pod's network: its IP once
 * known, its network namespace); stop()
 * when the pod goes: no attempt is made after it.
 */
export class PodProbes {
  private readonly probers = new Map<string, ContainerProber>();
  private readonly lastReported = new Map<string, number>();
  private network: Pick<ProbeTarget, 'podIP' | 'netnsPath'> = {};
  /** Instances whose startup probe has succeeded: it does not run again for them. */
  private readonly startedUp = new Set<string>();
  /** The containers of the last sync, to start liveness and readiness once startup succeeds. */
  private containers: readonly ProbedContainer[] = [];
  private stopped = false;

  constructor(private readonly attempt: ProbeAttempt, private readonly listener: PodProbesListener) {}

  sync(containers: readonly ProbedContainer[], network: Pick<ProbeTarget, 'podIP' | 'netnsPath'>): void {
    this.stopped = false;
    this.network = { ...this.network, ...network };
    this.containers = containers;
    const wanted = new Set<string>();
    const running = new Set<string>();
    for (const c of containers) {
      if (!c.running) continue;
      running.add(c.running.id);
      // An instance an earlier agent reported ready had passed its startup probe too.
      if (c.running.readyBefore) this.startedUp.add(c.running.id);
      for (const kind of kindsToRun(c.spec, this.startedUp.has(c.running.id))) {
        const plan = planProbe(kind, c.spec);
        if (!plan) continue;
        const key = probeKey(c.spec.name, kind);
        wanted.add(key);
        const existing = this.probers.get(key);
        if (existing && existing.containerId === c.running.id && samePlan(existing.plan, plan)) continue;
        existing?.stop();
        this.startProber(key, c.spec.name, plan, c.running);
      }
    }
    for (const [key, prober] of this.probers) {
      if (wanted.has(key)) continue;
      prober.stop();
      this.probers.delete(key);
    }
    for (const id of this.startedUp) if (!running.has(id)) this.startedUp.delete(id);
  }

  /**
   * What the container's probe of this kind says: undefined when the container has no such
   * probe; the kind's initial result while no prober runs (no instance runs).
   */
  result(spec: Container, kind: ProbeKind): ProbeResult | undefined {
    if (!spec[PROBE_FIELD[kind]]) return undefined;
    return this.probers.get(probeKey(spec.name, kind))?.state.result ?? initialProbeState(kind).result;
  }

  /** startupSucceeded tells whether instance `instanceId`'s startup probe has succeeded (it then no longer runs). */
  startupSucceeded(instanceId: string): boolean {
    return this.startedUp.has(instanceId);
  }

  stop(): void {
    this.stopped = true;
    for (const prober of this.probers.values()) prober.stop();
    this.probers.clear();
  }

  private startProber(key: string, container: string, plan: ProbePlan, running: NonNullable<ProbedContainer['running']>): void {
    const seed = plan.kind === 'readiness' && running.readyBefore ? 'success' : undefined;
    const prober = new ContainerProber(plan, running.id, running.startedAtMs, initialProbeState(plan.kind, seed), {
      attempt: this.attempt,
      network: () => this.network,
      attempted: (outcome, state, changed) => {
        if (outcome.result !== 'success' && shouldReportFailure(this.lastReported.get(key), Date.now())) {
          this.lastReported.set(key, Date.now());
          this.listener.unhealthy(container, plan.kind, unhealthyMessage(plan.kind, outcome));
        }
        const startedUp = changed && plan.kind === 'startup' && state.result === 'success' && !this.stopped;
        if (startedUp) this.startedUp.add(running.id);
        if (changed) this.listener.resultChanged(container, plan.kind, state.result, running.id);
        // Liveness and readiness take over from the startup probe.
        if (startedUp && !this.stopped) this.sync(this.containers, {});
      },
    });
    this.probers.set(key, prober);
    prober.start();
  }
}

function probeKey(container: string, kind: ProbeKind): string {
  return `${container}/${kind}`;
}

function samePlan(a: ProbePlan, b: ProbePlan): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
