import { expect } from 'chai';
import { deploymentStatus, progressCheckInMs, desiredTemplate, maxUnavailable, newReplicaSet, oldReplicaSetsToDelete, podTemplateHash, resolveIntOrPercent, templatesEqualIgnoringHash } from '../../../control-plane/controllers/deployment-logic.js';
import type { ReplicaSet } from '../../../proto/objects/apps.js';
import { deployment } from './fixtures.js';

function rs(name: string, revision: number, specReplicas: number, status: Partial<NonNullable<ReplicaSet['status']>> = {}): ReplicaSet {
  const d = deployment();
  const r = newReplicaSet(d, desiredTemplate(d), name, revision, specReplicas, { uid: name, creationTimestamp: '2026-01-01T00:00:00Z' });
  r.status = { replicas: 0, ...status };
  return r;
}

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('Deployment controller logic', () => {
  it('hashes a pod template stably, and differently when the template or collisionCount changes', () => {
    const a = podTemplateHash(desiredTemplate(deployment(3, 'busybox:1.35')));
    expect(a).to.match(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(podTemplateHash(desiredTemplate(deployment(5, 'busybox:1.35')))).to.equal(a);
    expect(podTemplateHash(desiredTemplate(deployment(3, 'busybox:1.36')))).to.not.equal(a);
    expect(podTemplateHash(desiredTemplate(deployment(3, 'busybox:1.35')), 1)).to.not.equal(a);
    // Key order does not matter: the hash is over canonical JSON.
    const t = desiredTemplate(deployment());
    const reordered = JSON.parse(JSON.stringify({ spec: t.spec, metadata: t.metadata })) as typeof t;
    expect(podTemplateHash(reordered)).to.equal(a);
  });

  it('builds the ReplicaSet <deployment>-<hash> with the hash in its selector and pod labels', () => {
    const d = deployment(3);
    const template = desiredTemplate(d);
    const hash = podTemplateHash(template);
    const r = newReplicaSet(d, template, hash, 1, 3, { uid: 'u', creationTimestamp: '2026-01-01T00:00:00Z' });
    expect(r.metadata.name).to.equal(`web-${hash}`);
    expect(r.spec.selector.matchLabels).to.deep.equal({ app: 'web', 'pod-template-hash': hash });
    expect(r.spec.template.metadata?.labels).to.deep.equal({ app: 'web', 'pod-template-hash': hash });
    expect(r.metadata.annotations).to.deep.equal({ 'deployment.kubernetes.io/revision': '1' });
    expect(r.metadata.ownerReferences?.[0]).to.include({ kind: 'Deployment', uid: 'd-uid', controller: true });
    expect(templatesEqualIgnoringHash(r.spec.template, template)).to.equal(true);
    expect(templatesEqualIgnoringHash(r.spec.template, desiredTemplate(deployment(3, 'other')))).to.equal(false);
  });

  it('keeps revisionHistoryLimit old ReplicaSets and deletes the oldest scaled-down ones', () => {
    const old = [rs('r3', 3, 0), rs('r1', 1, 0), rs('r2', 2, 0), rs('r4', 4, 1, { replicas: 1 })];
    expect(oldReplicaSetsToDelete(old, 2).map((r) => r.metadata.name)).to.deep.equal(['web-r1', 'web-r2']);
    expect(oldReplicaSetsToDelete(old, 10)).to.deep.equal([]);
    // One still running is never deleted, even when over the limit.
    expect(oldReplicaSetsToDelete([rs('r4', 4, 1, { replicas: 1 })], 0)).to.deep.equal([]);
  });

  it('resolves maxUnavailable like Kubernetes', () => {
    expect(resolveIntOrPercent('25%', 10, false)).to.equal(2);
    expect(resolveIntOrPercent('25%', 10, true)).to.equal(3);
    expect(maxUnavailable(deployment(4))).to.equal(1);
    const d = deployment(4);
    d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } };
    expect(maxUnavailable(d)).to.equal(1);
  });

  it('reports a finished deployment as Available and Progressing with NewReplicaSetAvailable', () => {
    const d = deployment(3);
    const current = rs('new', 2, 3, { replicas: 3, readyReplicas: 3, availableReplicas: 3 });
    const status = deploymentStatus(d, [rs('old', 1, 0), current], current, false, T0);
    expect(status).to.deep.include({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 });
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).to.deep.equal([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    // Recomputing the same state changes nothing, so no write follows.
    const again = deploymentStatus({ ...d, status }, [current], current, false, T0 + 300_000);
    expect(again).to.deep.equal(status);
  });

  it('reports missing availability while pods start', () => {
    const d = deployment(4);
    const current = rs('new', 1, 4, { replicas: 4, readyReplicas: 1, availableReplicas: 1 });
    const status = deploymentStatus(d, [current], current, false, T0);
    expect(status.unavailableReplicas).to.equal(3);
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).to.deep.equal([
      ['Available', 'False', 'MinimumReplicasUnavailable'],
      ['Progressing', 'True', 'ReplicaSetUpdated'],
    ]);
  });

  it('dates Progressing by the last step forward, and declares ProgressDeadlineExceeded after progressDeadlineSeconds without one', () => {
    const d = deployment(2);
    d.spec.progressDeadlineSeconds = 600;
    const stuck = rs('new', 1, 2, { replicas: 2, readyReplicas: 0, availableReplicas: 0 });
    const first = deploymentStatus(d, [stuck], stuck, false, T0);
    const progressing = () => first.conditions?.find((c) => c.type === 'Progressing');
    expect(progressing()).to.include({ status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: '2026-01-01T00:00:00Z' });
    // The controller looks again when the deadline would pass.
    expect(progressCheckInMs(d, first, T0 + 1000)).to.equal(600_000);

    // One pod becomes ready at +5 min: progress re-dates the condition.
    const step = rs('new', 1, 2, { replicas: 2, readyReplicas: 1, availableReplicas: 1 });
    const second = deploymentStatus({ ...d, status: first }, [step], step, false, T0 + 300_000);
    expect(second.conditions?.find((c) => c.type === 'Progressing')).to.include({ status: 'True', lastUpdateTime: '2026-01-01T00:05:00Z' });

    // Nothing more for 10 minutes after that: stuck.
    const late = deploymentStatus({ ...d, status: second }, [step], step, false, T0 + 300_000 + 600_000);
    expect(late.conditions?.find((c) => c.type === 'Progressing')).to.include({ status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-new" has timed out progressing.' });
    expect(progressCheckInMs(d, late, T0 + 900_000)).to.equal(undefined);
    // It stays stuck until it moves again; then it is progressing again.
    const still = deploymentStatus({ ...d, status: late }, [step], step, false, T0 + 1_000_000);
    expect(still.conditions?.find((c) => c.type === 'Progressing')?.reason).to.equal('ProgressDeadlineExceeded');
    const done = rs('new', 1, 2, { replicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect(deploymentStatus({ ...d, status: still }, [done], done, false, T0 + 1_100_000).conditions?.find((c) => c.type === 'Progressing')).to.include({ status: 'True', reason: 'NewReplicaSetAvailable' });
  });
});
