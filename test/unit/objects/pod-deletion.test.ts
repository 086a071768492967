import { expect } from 'chai';
import { gracePeriodFor, planPodDeletion } from '../../../control-plane/objects/pod-deletion.js';
import type { Pod } from '../../../proto/objects/pod.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const exists = () => true;
const gone = () => false;

function pod(overrides: { nodeName?: string; grace?: number; phase?: 'Running' | 'Succeeded' | 'Failed'; deletionTimestamp?: string; deletionGracePeriodSeconds?: number } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      namespace: 'default',
      uid: 'u1',
      resourceVersion: '7',
      ...(overrides.deletionTimestamp ? { deletionTimestamp: overrides.deletionTimestamp } : {}),
      ...(overrides.deletionGracePeriodSeconds !== undefined ? { deletionGracePeriodSeconds: overrides.deletionGracePeriodSeconds } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...('nodeName' in overrides ? (overrides.nodeName ? { nodeName: overrides.nodeName } : {}) : { nodeName: 'node-1' }), ...(overrides.grace !== undefined ? { terminationGracePeriodSeconds: overrides.grace } : {}) },
    status: { phase: overrides.phase ?? 'Running' },
  };
}

describe('graceful pod deletion (planPodDeletion)', () => {
  it('takes the request\'s grace period when it names one, else the pod\'s own, else 30 s', () => {
    expect(gracePeriodFor(pod({ grace: 10 }), { gracePeriodSeconds: 3 })).to.equal(3);
    expect(gracePeriodFor(pod({ grace: 10 }), { gracePeriodSeconds: 0 })).to.equal(10);
    expect(gracePeriodFor(pod({ grace: 10 }), {})).to.equal(10);
    expect(gracePeriodFor(pod(), {})).to.equal(30);
  });

  it('marks a pod on a node terminating: deletionTimestamp is now plus the grace period', () => {
    const plan = planPodDeletion(pod({ grace: 10 }), {}, NOW, exists);
    expect(plan.kind).to.equal('terminate');
    if (plan.kind !== 'terminate') return;
    expect(plan.pod.metadata.deletionTimestamp).to.equal('2026-12-07T12:00:10Z');
    expect(plan.pod.metadata.deletionGracePeriodSeconds).to.equal(10);
    expect(plan.pod.metadata.resourceVersion).to.equal('7');
  });

  it('does not change the pod it was given', () => {
    const original = pod();
    planPodDeletion(original, {}, NOW, exists);
    expect(original.metadata.deletionTimestamp).to.equal(undefined);
  });

  it('removes at once: forced, unbound, finished, grace 0, or on a node that no longer exists', () => {
    expect(planPodDeletion(pod(), { force: true }, NOW, exists)).to.deep.equal({ kind: 'remove', why: 'force' });
    expect(planPodDeletion(pod({ nodeName: '' }), {}, NOW, exists)).to.deep.equal({ kind: 'remove', why: 'unbound' });
    expect(planPodDeletion(pod({ phase: 'Failed' }), {}, NOW, exists)).to.deep.equal({ kind: 'remove', why: 'finished' });
    expect(planPodDeletion(pod({ phase: 'Succeeded' }), {}, NOW, exists)).to.deep.equal({ kind: 'remove', why: 'finished' });
    expect(planPodDeletion(pod({ grace: 0 }), {}, NOW, exists)).to.deep.equal({ kind: 'remove', why: 'no-grace' });
    expect(planPodDeletion(pod(), {}, NOW, gone)).to.deep.equal({ kind: 'remove', why: 'node-gone' });
    const terminating = pod({ deletionTimestamp: '2026-12-07T12:00:30Z', deletionGracePeriodSeconds: 30 });
    expect(planPodDeletion(terminating, {}, NOW, gone)).to.deep.equal({ kind: 'remove', why: 'node-gone' });
  });

  it('lets a second delete shorten the grace period, counted from when termination began, never lengthen it', () => {
    // Deleted at 11:59:50 with 30 s: due at 12:00:20.
    const terminating = pod({ deletionTimestamp: '2026-12-07T12:00:20Z', deletionGracePeriodSeconds: 30 });
    const shorter = planPodDeletion(terminating, { gracePeriodSeconds: 5 }, NOW, exists);
    expect(shorter.kind).to.equal('terminate');
    if (shorter.kind === 'terminate') {
      expect(shorter.pod.metadata.deletionTimestamp).to.equal('2026-12-07T11:59:55Z');
      expect(shorter.pod.metadata.deletionGracePeriodSeconds).to.equal(5);
    }
    expect(planPodDeletion(terminating, { gracePeriodSeconds: 60 }, NOW, exists)).to.deep.equal({ kind: 'unchanged' });
    expect(planPodDeletion(terminating, { gracePeriodSeconds: 30 }, NOW, exists)).to.deep.equal({ kind: 'unchanged' });
    expect(planPodDeletion(terminating, {}, NOW, exists)).to.deep.equal({ kind: 'unchanged' });
    expect(planPodDeletion(terminating, { force: true }, NOW, exists)).to.deep.equal({ kind: 'remove', why: 'force' });
  });
});
