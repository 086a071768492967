import { FILTERS, runFilters } from './filters.js';
import type { Filter } from './filters.js';
import { failureMessage } from './failure-message.js';
import type { PodInfo } from './pod-info.js';
import { SCORERS } from './scorers.js';
import type { Scorer } from './scorers.js';
import type { ClusterSnapshot, NodeInfo } from './snapshot.js';

/**
 * ScheduleResult is the decision for one pod.
 * - scheduled: bind it to nodeName; the planner has assumed it there in the snapshot.
 * - unschedulable: no node fits now. The pod stays Pending with this message and is retried
 *   (after its backoff) when a node or a bound pod changes.
 */
export type ScheduleResult =
  | { kind: 'scheduled'; nodeName: string }
  | { kind: 'unschedulable'; message: string; reasons: ReadonlyMap<string, number> };

/** Plan is the outcome of one batch: what to bind, and what cannot be placed now. */
export interface Plan {
  bindings: { pod: PodInfo; nodeName: string }[];
  unschedulable: { pod: PodInfo; message: string }[];
}

export interface PlannerOptions {
  filters?: readonly Filter[];
  scorers?: readonly Scorer[];
  /**
   * Stop looking once this share of the nodes has been found feasible (Kubernetes'
   * percentageOfNodesToScore). 0, the default, is Kubernetes' adaptive value: all nodes below
   * 100, else 50% minus 1% per 125 nodes, at least 5% and at least 100 nodes. 100 scores all.
   */
  percentageOfNodesToScore?: number;
}

/**
 * Planner decides where pods go against a ClusterSnapshot, without touching the store (the
 * Binder commits). Each placement is assumed in the snapshot before the next pod is
 * considered, so a batch never overcommits a node. When only part of the nodes is scored, the
 * search starts where the previous one stopped, so every node gets its turn.
 */
export class Planner {
  private nextStart = 0;
  private readonly filters: readonly Filter[];
  private readonly scorers: readonly Scorer[];
  private readonly scores: Float64Array;
  private readonly best: Float64Array;

  constructor(private readonly snapshot: ClusterSnapshot, private readonly options: PlannerOptions = {}) {
    this.filters = options.filters ?? FILTERS;
    this.scorers = options.scorers ?? SCORERS;
    this.scores = new Float64Array(this.scorers.length);
    this.best = new Float64Array(this.scorers.length);
  }

  /** plan decides a batch in order, assuming each placement in the snapshot. */
  plan(pods: readonly PodInfo[]): Plan {
    const plan: Plan = { bindings: [], unschedulable: [] };
    for (const pod of pods) {
      const result = this.schedule(pod);
      if (result.kind === 'scheduled') {
        this.snapshot.assume(pod, result.nodeName);
        plan.bindings.push({ pod, nodeName: result.nodeName });
      } else {
        plan.unschedulable.push({ pod, message: result.message });
      }
    }
    return plan;
  }

  /** schedule picks the best feasible node for one pod; it does not assume it. */
  schedule(pod: PodInfo): ScheduleResult {
    const nodes = this.snapshot.nodeList();
    const n = nodes.length;
    const wanted = feasibleNodesToFind(n, this.options.percentageOfNodesToScore ?? 0);
    const reasons = new Map<string, number>();
    const start = n === 0 ? 0 : this.nextStart % n;
    let chosen: NodeInfo | undefined;
    let found = 0;
    let visited = 0;
    for (; visited < n && found < wanted; visited++) {
      const node = nodes[(start + visited) % n] as NodeInfo;
      const verdict = runFilters(pod, node, this.snapshot, this.filters);
      if (!verdict.ok) {
        for (const r of verdict.reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);
        continue;
      }
      found++;
      for (let i = 0; i < this.scorers.length; i++) this.scores[i] = (this.scorers[i] as Scorer)(pod, node, this.snapshot);
      if (!chosen || this.beats(node, chosen)) {
        chosen = node;
        this.best.set(this.scores);
      }
    }
    this.nextStart = n === 0 ? 0 : (start + visited) % n;
    if (!chosen) return { kind: 'unschedulable', message: failureMessage(n, reasons), reasons };
    return { kind: 'scheduled', nodeName: chosen.name };
  }

  /** beats compares this.scores (for node) with this.best (for chosen): scorers in order, then name. */
  private beats(node: NodeInfo, chosen: NodeInfo): boolean {
    for (let i = 0; i < this.scores.length; i++) {
      const a = this.scores[i] as number;
      const b = this.best[i] as number;
      if (a !== b) return a > b;
    }
    return node.name < chosen.name;
  }
}

/** feasibleNodesToFind is Kubernetes' numFeasibleNodesToFind. */
export function feasibleNodesToFind(nodeCount: number, percentage: number): number {
  const MIN_FEASIBLE = 100;
  if (nodeCount < MIN_FEASIBLE || percentage >= 100) return nodeCount;
  const pct = percentage > 0 ? percentage : Math.max(5, 50 - nodeCount / 125);
  return Math.max(MIN_FEASIBLE, Math.floor((nodeCount * pct) / 100));
}
