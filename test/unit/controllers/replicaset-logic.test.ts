import { expect } from 'chai';
import { decideReplicas, generatedPodName, nextAvailabilityCheckMs, podFromTemplate, podsPerTransaction, podsToDelete, replicaSetStatus, slowStartBatches } from '../../../control-plane/controllers/replicaset-logic.js';
import { pod, replicaSet } from './fixtures.js';

describe('ReplicaSet controller logic', () => {
  it('names pods <rs-name>-<5 characters of [a-z0-9]>', () => {
    for (let i = 0; i < 50; i++) expect(generatedPodName('web-7d4b9c')).to.match(/^web-7d4b9c-[a-z0-9]{5}$/);
  });

  it('builds a pod from the template with labels, owner, identity and defaults', () => {
    const p = podFromTemplate(replicaSet(2), 'web-abc-x1y2z', { uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z' });
    expect(p.metadata).to.include({ name: 'web-abc-x1y2z', namespace: 'default', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z' });
    expect(p.metadata.labels).to.deep.equal({ app: 'web', tier: 'front' });
    expect(p.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
    expect(p.spec.restartPolicy).to.equal('Always');
    expect(p.spec.containers[0]?.imagePullPolicy).to.equal('Always');
    expect(p.status?.phase).to.equal('Pending');
  });

  it('scales down unscheduled pods first, then not-ready ones, then the newest', () => {
    const pods = [
      pod('ready-old', { nodeName: 'n1', ready: true, created: '2026-01-01T00:00:01Z' }),
      pod('ready-new', { nodeName: 'n2', ready: true, created: '2026-01-01T00:00:09Z' }),
      pod('not-ready', { nodeName: 'n1', ready: false, created: '2026-01-01T00:00:00Z' }),
      pod('unscheduled', { created: '2026-01-01T00:00:00Z' }),
    ];
    expect(podsToDelete(pods, 4).map((p) => p.metadata.name)).to.deep.equal(['unscheduled', 'not-ready', 'ready-new', 'ready-old']);
    expect(podsToDelete(pods, 1).map((p) => p.metadata.name)).to.deep.equal(['unscheduled']);
  });

  it('replaces failed pods: deletes them and creates as many active ones as are missing', () => {
    const lost = pod('lost', { nodeName: 'n1', phase: 'Failed' });
    const decision = decideReplicas(2, [lost, pod('ok', { nodeName: 'n2', ready: true })]);
    expect(decision.kind).to.equal('create');
    if (decision.kind !== 'create') return;
    expect(decision.count).to.equal(1);
    expect(decision.failed.map((p) => p.metadata.name)).to.deep.equal(['lost']);
  });

  it('is steady at the desired count, and deletes the surplus otherwise', () => {
    expect(decideReplicas(1, [pod('a')]).kind).to.equal('steady');
    const d = decideReplicas(0, [pod('a'), pod('b', { nodeName: 'n1', ready: true })]);
    expect(d.kind === 'delete' && d.pods.map((p) => p.metadata.name)).to.deep.equal(['a', 'b']);
  });

  it('creates one pod first, then the rest in batches of one transaction each', () => {
    expect(slowStartBatches(100, 128)).to.deep.equal([1, 99]);
    expect(slowStartBatches(300, 128)).to.deep.equal([1, 128, 128, 43]);
    expect(slowStartBatches(1, 128)).to.deep.equal([1]);
    expect(slowStartBatches(0, 128)).to.deep.equal([]);
  });

  it('fits a transaction\'s pods under etcd\'s request size as well as its operation count', () => {
    expect(podsPerTransaction(2_000)).to.equal(128);
    expect(podsPerTransaction(100_000)).to.equal(10);
    expect(podsPerTransaction(5_000_000)).to.equal(1);
  });

  it('counts replicas, ready, available (minReadySeconds) and fully labeled pods', () => {
    const now = Date.parse('2026-01-01T00:01:00Z');
    const rs = replicaSet(4, 30);
    const status = replicaSetStatus(rs, [
      pod('a', { nodeName: 'n1', ready: true, readySince: '2026-01-01T00:00:00Z', labels: { app: 'web', tier: 'front' } }),
      pod('b', { nodeName: 'n1', ready: true, readySince: '2026-01-01T00:00:50Z', labels: { app: 'web', tier: 'front' } }),
      pod('c', { nodeName: 'n1', ready: false }),
      pod('d', { nodeName: 'n1', phase: 'Failed' }),
      terminating(pod('e', { nodeName: 'n1', ready: true, readySince: '2026-01-01T00:00:00Z', labels: { app: 'web', tier: 'front' } })),
      terminating(pod('f', { nodeName: 'n1', phase: 'Succeeded' })),
    ], now);
    // e still runs while it terminates: not a replica, but counted apart; f has finished.
    expect(status).to.deep.equal({ replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, terminatingReplicas: 1, observedGeneration: 3 });
    // Pod b becomes available 20 s later: the controller looks again then.
    expect(nextAvailabilityCheckMs(rs, [pod('b', { nodeName: 'n1', ready: true, readySince: '2026-01-01T00:00:50Z' })], now)).to.be.within(20_000, 21_000);
  });
});

function terminating(p: ReturnType<typeof pod>): ReturnType<typeof pod> {
  p.metadata.deletionTimestamp = '2026-01-01T00:00:55Z';
  return p;
}
