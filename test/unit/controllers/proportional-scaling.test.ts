import { expect } from 'chai';
import type { Deployment, ReplicaSet } from '../../../proto/objects/apps.js';
import { isScalingEvent, proportionalScale } from '../../../control-plane/controllers/proportional-scaling.js';
import { deployment, revisionRS } from './fixtures.js';

/** sized is a ReplicaSet of `replicas` last sized by a Deployment of `desired` replicas out of `max`. */
function sized(name: string, revision: number, replicas: number, desired: number, max: number, status: Partial<NonNullable<ReplicaSet['status']>> = {}): ReplicaSet {
  const rs = revisionRS(name, revision, replicas, { replicas, ...status }, `2026-01-01T00:00:0${revision}Z`);
  rs.metadata.annotations = { ...rs.metadata.annotations, 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/max-replicas': String(max) };
  return rs;
}

const sizes = (steps: { rs: ReplicaSet; replicas: number }[]) => Object.fromEntries(steps.map((s) => [s.rs.metadata.name, s.replicas]));

function scaledTo(replicas: number, policy?: Deployment['spec']['podReplacementPolicy']): Deployment {
  const d = deployment(replicas);
  if (policy) d.spec.podReplacementPolicy = policy;
  return d;
}

describe('Proportional scaling', () => {
  it('sees a scaling event when a running ReplicaSet was sized for another spec.replicas', () => {
    expect(isScalingEvent(deployment(12), [sized('a', 1, 10, 10, 13)])).to.equal(true);
    expect(isScalingEvent(deployment(10), [sized('a', 1, 10, 10, 13)])).to.equal(false);
    // Scaled-down ReplicaSets and ones without the annotation do not count.
    const unsized = revisionRS('b', 2, 12);
    delete unsized.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'];
    expect(isScalingEvent(deployment(12), [sized('a', 1, 0, 10, 13), unsized])).to.equal(false);
  });

  it('gives a single running ReplicaSet the new spec.replicas', () => {
    expect(sizes(proportionalScale(deployment(12), sized('new', 2, 10, 10, 13), [sized('old', 1, 0, 10, 13)]))).to.deep.equal({ 'web-new': 12 });
  });

  it('shares a scale-up mid-rollout in proportion: 10 -> 20 with 9 old and 4 new of 13', () => {
    // Allowed 20 + 25% surge = 25: 12 more; the old set gets round(9 * 25 / 13) - 9 = 8, the new one the other 4.
    const steps = proportionalScale(deployment(20), sized('new', 2, 4, 10, 13), [sized('old', 1, 9, 10, 13)]);
    expect(sizes(steps)).to.deep.equal({ 'web-old': 17, 'web-new': 8 });
  });

  it('shares a scale-down mid-rollout in proportion: 10 -> 5, and 10 -> 0 empties both', () => {
    // Allowed 5 + 2 surge = 7: 6 fewer; the old set loses 4 (round(9 * 7 / 13) = 5), the new one 2.
    expect(sizes(proportionalScale(deployment(5), sized('new', 2, 4, 10, 13), [sized('old', 1, 9, 10, 13)]))).to.deep.equal({ 'web-old': 5, 'web-new': 2 });
    expect(sizes(proportionalScale(deployment(0), sized('new', 2, 4, 10, 13), [sized('old', 1, 9, 10, 13)]))).to.deep.equal({ 'web-old': 0, 'web-new': 0 });
  });

  it('gives what rounding leaves over to the largest ReplicaSet, the newest among equals when adding', () => {
    // Three sets of 3 sized for 8 + 1 = 9; to 9 + 1 = 10: each share rounds to round(3 * 10 / 9) - 3 = 0.
    const d = deployment(9);
    d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
    const steps = proportionalScale(d, sized('c', 3, 3, 8, 9), [sized('a', 1, 3, 8, 9), sized('b', 2, 3, 8, 9)]);
    expect(sizes(steps)).to.deep.equal({ 'web-c': 4, 'web-b': 3, 'web-a': 3 });
  });

  it('leaves a paused rollout as it is when spec.replicas did not change', () => {
    const d = deployment(10);
    d.spec.paused = true;
    // 8 + 3 of 13 allowed: Kubernetes would give the 2 spare to the old set; Berth keeps the rollout frozen.
    expect(proportionalScale(d, sized('new', 2, 3, 10, 13), [sized('old', 1, 8, 10, 13)])).to.deep.equal([]);
  });

  it('lets the old ReplicaSets go once the new one is saturated', () => {
    const newRS = sized('new', 2, 10, 10, 13, { availableReplicas: 10 });
    expect(sizes(proportionalScale(deployment(10), newRS, [sized('old', 1, 2, 10, 13)]))).to.deep.equal({ 'web-old': 0 });
  });

  it('scales up only as far as terminating pods leave room (TerminationComplete), fully under TerminationStarted', () => {
    // 6 replicas + 2 surge = 8 pods at most; 3 run and 4 still terminate: 1 more for now.
    const busy = sized('new', 2, 3, 3, 4, { terminatingReplicas: 4 });
    expect(sizes(proportionalScale(scaledTo(6), busy, []))).to.deep.equal({ 'web-new': 4 });
    expect(sizes(proportionalScale(scaledTo(6, 'TerminationStarted'), busy, []))).to.deep.equal({ 'web-new': 6 });
    // Scaling down never waits.
    expect(sizes(proportionalScale(scaledTo(1), busy, []))).to.deep.equal({ 'web-new': 1 });
  });
});
