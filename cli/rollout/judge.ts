import type { Deployment } from '../../proto/objects/apps.js';
import { AUTO_ROLLBACK_ANNOTATION, deploymentRevision, rolloutState } from './status.js';
import type { RolloutState, StatusOptions } from './status.js';

/**
 * How long a watcher waits, after a Deployment with automatic rollback passed its progress
 * deadline, for the controller to say it rolled back, before it reports the deadline alone.
 */
export const ROLLBACK_GRACE_MS = 10_000;

/** Verdict is one look at a Deployment: the state to show, whether it is the last, and when to look again without a change. */
export interface Verdict {
  state: RolloutState;
  final: boolean;
  recheckAt?: number;
}

/**
 * RolloutJudge is used to follow one rollout through successive versions of its Deployment.
 * It adds one thing to rolloutState: a missed deadline on a Deployment with automatic rollback
 * is not final at once, since the controller's RolledBack condition (the better message) comes
 * moments later; a rollback the condition never reported still fails the rollout.
 */
export class RolloutJudge {
  private deadlineAt: number | undefined;
  private deadlineRevision = 0;

  constructor(private readonly options: StatusOptions, private readonly graceMs = ROLLBACK_GRACE_MS) {}

  judge(d: Deployment, now: number): Verdict {
    const state = rolloutState(d, this.options);
    if (state.kind === 'failed' && state.reason !== 'deadline') return { state, final: true };
    if (this.deadlineAt === undefined) {
      const autoRollback = d.metadata.annotations?.[AUTO_ROLLBACK_ANNOTATION] === 'true';
      if (state.kind !== 'failed' || !autoRollback) return { state, final: state.kind !== 'progressing' };
      this.deadlineAt = now;
      this.deadlineRevision = deploymentRevision(d);
    }
    const name = JSON.stringify(d.metadata.name);
    const until = this.deadlineAt + this.graceMs;
    if (now < until) {
      return {
        state: { kind: 'progressing', message: `deployment ${name} exceeded its progress deadline; waiting for the automatic rollback...`, step: 'progress deadline exceeded: rolling back' },
        final: false,
        recheckAt: until,
      };
    }
    const revision = deploymentRevision(d);
    if (revision !== this.deadlineRevision) {
      return { state: { kind: 'failed', reason: 'rolled-back', message: `deployment ${name} exceeded its progress deadline and was rolled back (revision ${this.deadlineRevision} replaced by revision ${revision})` }, final: true };
    }
    return { state: { kind: 'failed', reason: 'deadline', message: `deployment ${name} exceeded its progress deadline` }, final: true };
  }
}
