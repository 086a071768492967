import { expect } from 'chai';
import type { Deployment, ReplicaSet } from '../../../proto/objects/apps.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { ControllerHarness, R, activePods, ownedBy, useControllerHarness } from './harness.js';

describe('Deployment and ReplicaSet controllers on a real etcd', function () {
  this.timeout(60_000);
  let h: ControllerHarness;
  useControllerHarness((harness) => {
    h = harness;
  });

  it('turns a Deployment of 3 replicas into one ReplicaSet and 3 pods with owner references and template labels', async () => {
    const d = await h.createDeployment('web', 3);
    await h.converge();
    const [rs, ...more] = await h.list<ReplicaSet>(R.replicasets);
    expect(more).to.have.length(0);
    if (!rs) throw new Error('no ReplicaSet');
    const hash = rs.metadata.labels?.['pod-template-hash'] ?? '';
    expect(rs.metadata.name).to.equal(`web-${hash}`);
    expect(ownedBy(rs, d)).to.equal(true);
    expect(rs.spec.replicas).to.equal(3);
    expect(rs.spec.selector.matchLabels).to.deep.equal({ app: 'web', 'pod-template-hash': hash });
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/revision']).to.equal('1');

    const pods = await h.list<Pod>(R.pods);
    expect(pods).to.have.length(3);
    for (const p of pods) {
      expect(p.metadata.name).to.match(new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      expect(p.metadata.labels).to.deep.equal({ app: 'web', 'pod-template-hash': hash });
      expect(ownedBy(p, rs)).to.equal(true);
      expect(p.metadata.uid).to.be.a('string');
      expect(p.spec.containers[0]?.image).to.equal('busybox:1.35');
      expect(p.spec.restartPolicy).to.equal('Always');
    }
    const rsAfter = await h.get<ReplicaSet>(R.replicasets, rs.metadata.name);
    expect(rsAfter.status).to.include({ replicas: 3, readyReplicas: 0, availableReplicas: 0, fullyLabeledReplicas: 3, observedGeneration: 1 });
    const dep = await h.get<Deployment>(R.deployments, 'web');
    expect(dep.metadata.annotations?.['deployment.kubernetes.io/revision']).to.equal('1');
    expect(dep.status).to.include({ replicas: 3, updatedReplicas: 3, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 3, observedGeneration: 1 });
    expect(h.events.events).to.deep.include({ object: 'Deployment/default/web', type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set web-${hash} to 3` });
    expect(h.events.events.filter((e) => e.reason === 'SuccessfulCreate')).to.have.length(3);

    // The agents report the pods ready: the Deployment becomes Available and finishes progressing.
    for (const [i, p] of pods.entries()) await h.bind(p.metadata.name, `node-${i}`, true);
    await h.converge();
    const done = await h.get<Deployment>(R.deployments, 'web');
    expect(done.status).to.include({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 });
    expect(done.status?.conditions?.map((c) => [c.type, c.status, c.reason])).to.deep.equal([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
  });

  it('scales 3 -> 6 -> 4 -> 1, deleting unscheduled pods first, then not-ready ones, then the newest', async () => {
    await h.createDeployment('web', 3);
    await h.converge();
    const original = (await h.list<Pod>(R.pods)).map((p) => p.metadata.name).sort();
    for (const name of original) await h.bind(name, 'node-a', true);

    await h.updateSpec<Deployment>(R.deployments, 'web', (d) => (d.spec.replicas = 6));
    await h.converge();
    const six = await h.list<Pod>(R.pods);
    expect(six).to.have.length(6);
    const added = six.map((p) => p.metadata.name).filter((n) => !original.includes(n));
    expect(added).to.have.length(3);
    // One of the new pods got a node but is not ready yet; the other two are unscheduled.
    await h.bind(added[0] as string, 'node-b', false);

    // 6 -> 4: the two unscheduled pods go; the scheduled one stays although it is not ready.
    await h.updateSpec<Deployment>(R.deployments, 'web', (d) => (d.spec.replicas = 4));
    await h.converge();
    expect((await h.list<Pod>(R.pods)).map((p) => p.metadata.name).sort()).to.deep.equal([...original, added[0] as string].sort());

    // 4 -> 1: the not-ready pod goes before any ready one, then the newest ready ones.
    await h.updateSpec<Deployment>(R.deployments, 'web', (d) => (d.spec.replicas = 1));
    await h.converge();
    const left = await h.list<Pod>(R.pods);
    expect(left).to.have.length(1);
    expect(original).to.include(left[0]?.metadata.name);
    expect(h.events.events.filter((e) => e.reason === 'SuccessfulDelete')).to.have.length(5);
    const rs = (await h.list<ReplicaSet>(R.replicasets))[0];
    expect(rs?.status).to.include({ replicas: 1, readyReplicas: 1 });
    expect((await h.get<Deployment>(R.deployments, 'web')).status).to.include({ replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
  });

  it('makes a new ReplicaSet for a changed template, scales the old one to 0, and keeps revisionHistoryLimit old ones', async () => {
    await h.createDeployment('web', 3, 'busybox:1.35', { revisionHistoryLimit: 1 });
    await h.rollOut();
    const [first] = await h.list<ReplicaSet>(R.replicasets);
    if (!first) throw new Error('no ReplicaSet');

    await h.updateSpec<Deployment>(R.deployments, 'web', (d) => ((d.spec.template.spec.containers[0] as { image: string }).image = 'busybox:1.36'));
    await h.rollOut();
    const sets = await h.list<ReplicaSet>(R.replicasets);
    expect(sets).to.have.length(2);
    const second = sets.find((rs) => rs.metadata.name !== first.metadata.name) as ReplicaSet;
    expect(second.metadata.labels?.['pod-template-hash']).to.not.equal(first.metadata.labels?.['pod-template-hash']);
    expect(second.spec.replicas).to.equal(3);
    expect(second.metadata.annotations?.['deployment.kubernetes.io/revision']).to.equal('2');
    expect((sets.find((rs) => rs.metadata.name === first.metadata.name) as ReplicaSet).spec.replicas).to.equal(0);
    const pods = activePods(await h.list<Pod>(R.pods));
    expect(pods).to.have.length(3);
    for (const p of pods) {
      expect(ownedBy(p, second)).to.equal(true);
      expect(p.spec.containers[0]?.image).to.equal('busybox:1.36');
    }
    expect(h.events.events).to.deep.include({ object: 'Deployment/default/web', type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled down replica set ${first.metadata.name} to 0` });
    expect((await h.get<Deployment>(R.deployments, 'web')).metadata.annotations?.['deployment.kubernetes.io/revision']).to.equal('2');

    // A third template: with revisionHistoryLimit 1 the oldest ReplicaSet is deleted.
    await h.updateSpec<Deployment>(R.deployments, 'web', (d) => ((d.spec.template.spec.containers[0] as { image: string }).image = 'busybox:1.37'));
    await h.rollOut();
    const names = (await h.list<ReplicaSet>(R.replicasets)).map((rs) => rs.metadata.name);
    expect(names).to.have.length(2);
    expect(names).to.include(second.metadata.name);
    expect(names).to.not.include(first.metadata.name);
  });

  it('removes the ReplicaSets and pods of a deleted Deployment', async () => {
    await h.createDeployment('web', 2);
    await h.createDeployment('api', 1);
    await h.converge();
    expect(await h.list(R.pods)).to.have.length(3);
    await h.store.delete(R.deployments, 'default', 'web');
    await h.converge();
    const sets = await h.list<ReplicaSet>(R.replicasets);
    expect(sets.map((rs) => rs.metadata.labels?.app)).to.deep.equal(['api']);
    const pods = await h.list<Pod>(R.pods);
    expect(pods.map((p) => p.metadata.labels?.app)).to.deep.equal(['api']);
  });
});
