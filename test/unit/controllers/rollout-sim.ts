import type { Deployment, ReplicaSet } from '../../../proto/objects/apps.js';
import type { ScaleStep } from '../../../control-plane/controllers/rolling.js';
import { revisionRS } from './fixtures.js';

/**
 * RolloutSim plays the ReplicaSet controller and the agents for the Deployment controller's
 * pure decisions, one tick at a time: each tick the Deployment decides, each ReplicaSet then
 * creates pods up to its spec or marks the surplus terminating (not-available pods first), and
 * the pods counted then are what a user would see. Until the next tick, new pods of a healthy
 * template become available; a terminating pod is gone after `graceTicks` ticks (2: the
 * Deployment sees it terminating once).
 */
export class RolloutSim {
  readonly sets: SimSet[] = [];
  /** After each tick: every pod that runs (terminating ones too), the available ones, and the running ones of each set. */
  readonly observed: { running: number; available: number; bySet: number[] }[] = [];
  /** Each size decision, as "<set> <from>-><to>". */
  readonly decisions: string[] = [];

  constructor(readonly d: Deployment, readonly graceTicks = 2) {}

  addSet(name: string, revision: number, replicas: number, healthy: boolean, availableNow = replicas): SimSet {
    const set = new SimSet(revisionRS(name, revision, replicas, {}, `2026-01-01T00:00:0${revision}Z`), healthy, this.graceTicks);
    set.available = availableNow;
    set.notYet = replicas - availableNow;
    set.report();
    this.sets.push(set);
    return set;
  }

  /** tick runs one round; `decide` is the Deployment controller's step over the current ReplicaSets. */
  tick(decide: (sets: ReplicaSet[]) => ScaleStep[]): ScaleStep[] {
    const steps = decide(this.sets.map((s) => s.rs));
    for (const { rs, replicas } of steps) {
      const set = this.sets.find((s) => s.rs.metadata.uid === rs.metadata.uid);
      if (!set) throw new Error(`no ReplicaSet ${rs.metadata.name}`);
      this.decisions.push(`${rs.metadata.name.replace('web-', '')} ${set.rs.spec.replicas ?? 0}->${replicas}`);
      set.rs = { ...set.rs, metadata: { ...set.rs.metadata, generation: (set.rs.metadata.generation ?? 1) + 1 }, spec: { ...set.rs.spec, replicas } };
    }
    for (const set of this.sets) set.converge();
    const running = (s: SimSet) => s.available + s.notYet + s.terminating.length;
    this.observed.push({ running: this.sum(running), available: this.sum((s) => s.available), bySet: this.sets.map(running) });
    for (const set of this.sets) set.passTime();
    return steps;
  }

  /** run ticks until a tick decides nothing and no pod changes any more, or `max` ticks. */
  run(decide: (sets: ReplicaSet[]) => ScaleStep[], max = 100): void {
    for (let i = 0; i < max; i++) {
      const before = JSON.stringify(this.sets.map((s) => [s.available, s.notYet, s.terminating]));
      const steps = this.tick(decide);
      if (steps.length === 0 && JSON.stringify(this.sets.map((s) => [s.available, s.notYet, s.terminating])) === before) return;
    }
  }

  private sum(f: (s: SimSet) => number): number {
    return this.sets.reduce((n, s) => n + f(s), 0);
  }
}

/** SimSet is one ReplicaSet and its pods, by state. */
export class SimSet {
  available = 0;
  notYet = 0;
  /** Ticks left for each terminating pod. */
  terminating: number[] = [];

  constructor(public rs: ReplicaSet, readonly healthy: boolean, readonly graceTicks: number) {}

  converge(): void {
    const spec = this.rs.spec.replicas ?? 0;
    let surplus = this.available + this.notYet - spec;
    if (surplus < 0) this.notYet -= surplus;
    const fromNotYet = Math.min(Math.max(surplus, 0), this.notYet);
    this.notYet -= fromNotYet;
    surplus -= fromNotYet;
    const fromAvailable = Math.max(surplus, 0);
    this.available -= fromAvailable;
    for (let i = 0; i < fromNotYet + fromAvailable; i++) this.terminating.push(this.graceTicks);
    this.report();
  }

  passTime(): void {
    this.terminating = this.terminating.map((t) => t - 1).filter((t) => t > 0);
    if (this.healthy) {
      this.available += this.notYet;
      this.notYet = 0;
    }
    this.report();
  }

  report(): void {
    this.rs = {
      ...this.rs,
      status: {
        replicas: this.available + this.notYet,
        readyReplicas: this.available,
        availableReplicas: this.available,
        terminatingReplicas: this.terminating.length,
        observedGeneration: this.rs.metadata.generation ?? 1,
      },
    };
  }
}
