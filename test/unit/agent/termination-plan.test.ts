import { expect } from 'chai';
import type { Pod } from '../../../proto/objects/pod.js';
import { drainTimeoutMs, finishRetryDelayMs, gracePeriodMs, planTermination, remainingMs, shortenedDeadline } from '../../../node-agent/agent/termination-plan.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function pod(spec: { grace?: number; deletionGrace?: number } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', uid: 'u1', ...(spec.deletionGrace !== undefined ? { deletionTimestamp: '2026-01-01T00:00:30Z', deletionGracePeriodSeconds: spec.deletionGrace } : {}) },
    spec: { containers: [{ name: 'app', image: 'busybox' }], ...(spec.grace !== undefined ? { terminationGracePeriodSeconds: spec.grace } : {}) },
  };
}

describe('pod termination plan', () => {
  it("takes the deletion's grace period, else the spec's, else 30 s", () => {
    expect(gracePeriodMs(pod())).to.equal(30_000);
    expect(gracePeriodMs(pod({ grace: 5 }))).to.equal(5_000);
    expect(gracePeriodMs(pod({ grace: 5, deletionGrace: 2 }))).to.equal(2_000);
    expect(gracePeriodMs(pod({ grace: 5, deletionGrace: 0 })), 'a forced delete').to.equal(0);
  });

  it('counts the deadline from the start of termination, drain wait and hooks included', () => {
    const plan = planTermination(pod({ grace: 10 }), 'graceful', 1, T0);
    expect(plan).to.deep.equal({ mode: 'graceful', startedAt: T0, deadline: T0 + 10_000, drain: true, finish: true });
    expect(drainTimeoutMs(plan, T0), 'the drain wait leaves 2 s to preStop and SIGTERM').to.equal(8_000);
    expect(drainTimeoutMs({ startedAt: T0, deadline: T0 + 3_000 }, T0), 'at most half of a short grace period').to.equal(1_500);
    // A preStop hook that took 4 s leaves 6 s between SIGTERM and SIGKILL.
    expect(remainingMs(plan.deadline, T0 + 4_000)).to.equal(6_000);
    expect(remainingMs(plan.deadline, T0 + 12_000), 'hooks that overran: SIGKILL at once').to.equal(0);
    expect(drainTimeoutMs(plan, T0 + 9_000)).to.equal(0);
  });

  it('waits for no drain and tells nobody for a pod whose object is gone; drains nothing when nothing runs', () => {
    expect(planTermination(pod({ grace: 10 }), 'gone', 2, T0)).to.include({ drain: false, finish: false });
    expect(planTermination(pod({ grace: 10, deletionGrace: 10 }), 'graceful', 0, T0)).to.include({ drain: false, finish: true });
  });

  it('lets a second delete shorten the grace period, never lengthen it', () => {
    const plan = planTermination(pod({ grace: 30, deletionGrace: 30 }), 'graceful', 1, T0);
    expect(shortenedDeadline(plan, pod({ grace: 30, deletionGrace: 5 }))).to.equal(T0 + 5_000);
    expect(shortenedDeadline({ ...plan, deadline: T0 + 5_000 }, pod({ grace: 30, deletionGrace: 60 }))).to.equal(T0 + 5_000);
  });

  it('retries FinishPodTermination after 1 s doubling to 10 s', () => {
    expect([1, 2, 3, 4, 5, 9].map(finishRetryDelayMs)).to.deep.equal([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });
});
