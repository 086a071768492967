import { expect } from 'chai';
import { desiredTemplate, newReplicaSet, oldReplicaSetsToDelete, podTemplateHash, syncedAnnotations, templatesEqualIgnoringHash } from '../../../control-plane/controllers/deployment-logic.js';
import { deployment, revisionRS as rs } from './fixtures.js';

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
    const r = newReplicaSet(d, template, hash, 1, 3, 4, { uid: 'u', creationTimestamp: '2026-01-01T00:00:00Z' });
    expect(r.metadata.name).to.equal(`web-${hash}`);
    expect(r.spec.selector.matchLabels).to.deep.equal({ app: 'web', 'pod-template-hash': hash });
    expect(r.spec.template.metadata?.labels).to.deep.equal({ app: 'web', 'pod-template-hash': hash });
    expect(r.metadata.annotations).to.deep.equal({ 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
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

  it('copies the Deployment\'s annotations and change-cause onto the new ReplicaSet, and keeps the revisions a reused one served', () => {
    const d = deployment(3);
    d.metadata.annotations = { 'kubernetes.io/change-cause': 'image 1.36', 'berth.dev/last-applied-configuration': '{}', 'deployment.kubernetes.io/revision': '7' };
    const created = newReplicaSet(d, desiredTemplate(d), 'h', 4, 1, 4, { uid: 'u', creationTimestamp: '2026-01-01T00:00:00Z' });
    expect(created.metadata.annotations).to.deep.equal({
      'kubernetes.io/change-cause': 'image 1.36',
      'deployment.kubernetes.io/revision': '4',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    // Nothing to change when it is current.
    expect(syncedAnnotations(d, created, 4)).to.equal(undefined);
    // An undo brings revision 2's template back with another change-cause: it becomes revision 5 and remembers 2.
    const reused = rs('r2', 2, 0);
    reused.metadata.annotations = { ...reused.metadata.annotations, 'deployment.kubernetes.io/revision-history': '1', 'kubernetes.io/change-cause': 'old' };
    expect(syncedAnnotations(d, reused, 5)).to.deep.include({ 'deployment.kubernetes.io/revision': '5', 'deployment.kubernetes.io/revision-history': '1,2', 'kubernetes.io/change-cause': 'image 1.36' });
    // A lower revision than its own is left alone.
    expect(syncedAnnotations({ ...d, metadata: { ...d.metadata, annotations: {} } }, reused, 1)).to.equal(undefined);
  });
});
