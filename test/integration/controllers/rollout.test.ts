import { expect } from 'chai';
import type { Deployment, ReplicaSet } from '../../../proto/objects/apps.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { isReady } from '../../../proto/objects/conditions.js';
import { cacheKey } from '../../../control-plane/watch/object-cache.js';
import { ControllerHarness, R, ownedBy, useControllerHarness } from './harness.js';

const image = (tag: string) => (d: Deployment) => ((d.spec.template.spec.containers[0] as { image: string }).image = `busybox:${tag}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Rollouts of the Deployment controller on a real etcd', function () {
  this.timeout(120_000);
  let h: ControllerHarness;
  useControllerHarness((harness) => {
    h = harness;
  });

  /** podsNow counts every pod (terminating ones too) and the ready ones, as a user would see them. */
  async function podsNow(): Promise<{ running: number; ready: number; pods: Pod[] }> {
    const pods = (await h.list<Pod>(R.pods)).filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    return { running: pods.length, ready: pods.filter((p) => !p.metadata.deletionTimestamp && isReady(p)).length, pods };
  }

  async function replicaSetOf(d: Deployment, tag: string): Promise<ReplicaSet | undefined> {
    return (await h.list<ReplicaSet>(R.replicasets)).find((rs) => ownedBy(rs, d) && rs.spec.template.spec.containers[0]?.image === `busybox:${tag}`);
  }

  /** markTerminating does what a graceful delete does to a pod: a deletionTimestamp, the pod stays until its agent is done. */
  async function markTerminating(pod: Pod): Promise<void> {
    await h.store.guaranteedUpdate(R.pods, 'default', pod.metadata.name, (current) => {
      current.metadata.deletionTimestamp = new Date(Date.now() + 30_000).toISOString();
      current.metadata.deletionGracePeriodSeconds = 30;
      return current;
    });
  }

  it('rolls 10 replicas with 25% / 25% step by step, never above 13 pods nor below 8 ready', async () => {
    const d = await h.createDeployment('web', 10, 'busybox:1.35', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    await h.rollOut();
    await h.updateSpec<Deployment>(R.deployments, 'web', (dep) => {
      image('1.36')(dep);
      dep.metadata.annotations = { ...dep.metadata.annotations, 'kubernetes.io/change-cause': 'upgrade to 1.36' };
    });
    const bounds = async () => {
      const { running, ready } = await podsNow();
      expect(running, 'pods running').to.be.at.most(13);
      expect(ready, 'pods ready').to.be.at.least(8);
    };
    const newSizes: number[] = [];
    for (let step = 0; step < 60; step++) {
      await h.converge(bounds);
      newSizes.push((await replicaSetOf(d, '1.36'))?.spec.replicas ?? 0);
      // The agents report at most two new pods ready per step, and terminating pods finish.
      const waiting = (await podsNow()).pods.filter((p) => !isReady(p) && !p.metadata.deletionTimestamp).slice(0, 2);
      for (const p of waiting) await h.bind(p.metadata.name, 'node-b', true);
      if (waiting.length + (await h.finishTerminating()) === 0) break;
    }
    const [oldRS, newRS] = [await replicaSetOf(d, '1.35'), await replicaSetOf(d, '1.36')];
    // The new ReplicaSet grew within the surge, step by step, not at once.
    const grew = h.events.events.filter((e) => e.message.startsWith(`Scaled up replica set ${newRS?.metadata.name} `)).map((e) => e.message.split(' ').at(-1));
    expect(grew.slice(0, 2)).to.deep.equal(['3', '5']);
    expect(new Set(newSizes).size).to.be.greaterThan(2);
    expect(newSizes.at(-1)).to.equal(10);
    expect(oldRS?.spec.replicas).to.equal(0);
    expect(newRS?.metadata.annotations).to.include({
      'deployment.kubernetes.io/revision': '2',
      'deployment.kubernetes.io/desired-replicas': '10',
      'deployment.kubernetes.io/max-replicas': '13',
      'kubernetes.io/change-cause': 'upgrade to 1.36',
      'berth.dev/available': 'true',
    });
    const done = await h.get<Deployment>(R.deployments, 'web');
    expect(done.status).to.include({ replicas: 10, updatedReplicas: 10, readyReplicas: 10, availableReplicas: 10, unavailableReplicas: 0, terminatingReplicas: 0 });
    expect(done.status?.conditions?.map((c) => [c.type, c.status, c.reason])).to.deep.equal([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    const scaling = h.events.events.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
    expect(scaling).to.include(`Scaled up replica set ${newRS?.metadata.name} to 3`);
    expect(scaling).to.include(`Scaled down replica set ${oldRS?.metadata.name} to 0`);
  });

  it('counts terminating pods toward the surge, unless podReplacementPolicy is TerminationStarted', async () => {
    const strategy = { type: 'RollingUpdate' as const, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
    const d = await h.createDeployment('web', 3, 'busybox:1.35', { strategy });
    await h.rollOut();
    const [victim] = (await podsNow()).pods;
    if (!victim) throw new Error('no pod');
    await markTerminating(victim);
    await h.converge();
    // The ReplicaSet replaced the terminating pod; it still runs, so the surge is used up.
    expect((await h.get<ReplicaSet>(R.replicasets, (await replicaSetOf(d, '1.35'))?.metadata.name ?? '')).status).to.include({ replicas: 3, terminatingReplicas: 1 });
    await h.readyAll();
    await h.updateSpec<Deployment>(R.deployments, 'web', image('1.36'));
    await h.converge();
    expect((await replicaSetOf(d, '1.36'))?.spec.replicas).to.equal(0);
    expect((await podsNow()).running).to.equal(4);
    expect((await h.get<Deployment>(R.deployments, 'web')).status).to.include({ terminatingReplicas: 1 });
    // Once it is gone, the rollout goes on.
    await h.finishTerminating();
    await h.converge();
    expect((await replicaSetOf(d, '1.36'))?.spec.replicas).to.equal(1);

    // The same with TerminationStarted: the new pod starts while the old one terminates.
    const started = await h.createDeployment('api', 3, 'busybox:1.35', { strategy, podReplacementPolicy: 'TerminationStarted' });
    await h.rollOut();
    const apiPod = (await podsNow()).pods.find((p) => p.metadata.labels?.app === 'api');
    if (!apiPod) throw new Error('no api pod');
    await markTerminating(apiPod);
    await h.converge();
    await h.readyAll();
    await h.updateSpec<Deployment>(R.deployments, 'api', image('1.36'));
    await h.converge();
    expect((await replicaSetOf(started, '1.36'))?.spec.replicas).to.equal(1);
  });

  it('Recreate scales the old pods away and starts new ones only when none runs, terminating ones included', async () => {
    const d = await h.createDeployment('web', 3, 'busybox:1.35', { strategy: { type: 'Recreate' } });
    await h.rollOut();
    const [slow] = (await podsNow()).pods;
    if (!slow) throw new Error('no pod');
    await markTerminating(slow);
    await h.converge();
    await h.readyAll();
    await h.updateSpec<Deployment>(R.deployments, 'web', image('1.36'));
    const neverTogether = async () => {
      const pods = (await podsNow()).pods;
      const templates = new Set(pods.map((p) => p.spec.containers[0]?.image));
      expect([...templates], 'images of the pods running together').to.have.length.at.most(1);
    };
    await h.converge(neverTogether);
    // The slow pod still terminates: no new pod yet.
    expect((await podsNow()).pods.map((p) => p.metadata.name)).to.deep.equal([slow.metadata.name]);
    expect((await replicaSetOf(d, '1.36'))?.spec.replicas ?? 0).to.equal(0);
    await h.rollOut(neverTogether);
    const { pods, ready } = await podsNow();
    expect(pods.map((p) => p.spec.containers[0]?.image)).to.deep.equal(['busybox:1.36', 'busybox:1.36', 'busybox:1.36']);
    expect(ready).to.equal(3);
    const scaling = h.events.events.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
    expect(scaling.slice(-2)).to.deep.equal([`Scaled down replica set ${(await replicaSetOf(d, '1.35'))?.metadata.name} to 0`, `Scaled up replica set ${(await replicaSetOf(d, '1.36'))?.metadata.name} to 3`]);
  });

  it('rolls a rollout past its progress deadline back to the last available revision, once, with berth.dev/auto-rollback', async () => {
    // Condition times have whole seconds, so a deadline of 2 s passes 1 to 2 s after the last progress.
    const d = await h.createDeployment('web', 3, 'busybox:1.35', { progressDeadlineSeconds: 2 });
    await h.store.guaranteedUpdate(R.deployments, 'default', 'web', (current) => {
      current.metadata.annotations = { ...current.metadata.annotations, 'berth.dev/auto-rollback': 'true', 'kubernetes.io/change-cause': 'first' };
      return current;
    });
    await h.rollOut();
    const first = await replicaSetOf(d, '1.35');
    expect(first?.metadata.annotations?.['berth.dev/available']).to.equal('true');
    await h.updateSpec<Deployment>(R.deployments, 'web', (dep) => {
      image('never-ready')(dep);
      dep.metadata.annotations = { ...dep.metadata.annotations, 'kubernetes.io/change-cause': 'broken' };
    });
    await h.converge();
    const broken = await replicaSetOf(d, 'never-ready');
    expect(broken?.spec.replicas).to.equal(1);
    const before = await h.get<Deployment>(R.deployments, 'web');

    await sleep(2100);
    await h.converge();
    const after = await h.get<Deployment>(R.deployments, 'web');
    expect(after.spec.template.spec.containers[0]?.image).to.equal('busybox:1.35');
    expect(after.spec.template.metadata?.labels).to.deep.equal({ app: 'web' });
    expect(after.metadata.generation).to.equal((before.metadata.generation ?? 0) + 1);
    expect(after.metadata.annotations?.['kubernetes.io/change-cause']).to.equal('first');
    const why = `ReplicaSet "${broken?.metadata.name}" has timed out progressing.`;
    expect(after.status?.conditions?.find((c) => c.type === 'RolledBack')).to.include({ status: 'True', reason: 'ProgressDeadlineExceeded', message: `rolled back from revision 2 to revision 1: ${why}` });
    expect(after.status?.conditions?.find((c) => c.type === 'RolledBack')?.lastTransitionTime).to.be.a('string');
    expect(h.events.events).to.deep.include({ object: 'Deployment/default/web', type: 'Warning', reason: 'RolledBack', message: `Rolled back from revision 2 to revision 1: ${why}` });

    // The first ReplicaSet comes back as revision 3, and the rollout completes.
    await h.rollOut();
    const back = await h.get<ReplicaSet>(R.replicasets, first?.metadata.name ?? '');
    expect(back.metadata.annotations).to.include({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1', 'kubernetes.io/change-cause': 'first' });
    expect(back.spec.replicas).to.equal(3);
    expect((await replicaSetOf(d, 'never-ready'))?.spec.replicas).to.equal(0);
    const settled = await h.get<Deployment>(R.deployments, 'web');
    expect(settled.metadata.annotations?.['deployment.kubernetes.io/revision']).to.equal('3');
    expect(settled.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).to.equal('NewReplicaSetAvailable');
    expect(h.events.events.filter((e) => e.reason === 'RolledBack')).to.have.length(1);

    // A new template from the user ends the RolledBack state.
    await h.updateSpec<Deployment>(R.deployments, 'web', image('1.36'));
    await h.converge();
    expect((await h.get<Deployment>(R.deployments, 'web')).status?.conditions?.find((c) => c.type === 'RolledBack')).to.include({ status: 'False', reason: 'NewRevision' });
  });

  it('shares a scale-up in the middle of a stalled rollout between both revisions in proportion', async () => {
    const d = await h.createDeployment('web', 10, 'busybox:1.35');
    await h.rollOut();
    await h.updateSpec<Deployment>(R.deployments, 'web', image('never-ready'));
    await h.converge();
    // Stalled at 13 pods: 8 old ones serving, 5 new ones that never become ready.
    expect([(await replicaSetOf(d, '1.35'))?.spec.replicas, (await replicaSetOf(d, 'never-ready'))?.spec.replicas]).to.deep.equal([8, 5]);
    await h.updateSpec<Deployment>(R.deployments, 'web', (dep) => (dep.spec.replicas = 20));
    await h.converge();
    // 20 + 25% = 25 pods, shared 8 : 5 as they were of 13: 15 and 10.
    const [oldRS, newRS] = [await replicaSetOf(d, '1.35'), await replicaSetOf(d, 'never-ready')];
    expect([oldRS?.spec.replicas, newRS?.spec.replicas]).to.deep.equal([15, 10]);
    for (const rs of [oldRS, newRS]) expect(rs?.metadata.annotations).to.include({ 'deployment.kubernetes.io/desired-replicas': '20', 'deployment.kubernetes.io/max-replicas': '25' });
  });

  it('counts a pod available only minReadySeconds after it became ready, and looks again then', async () => {
    const d = await h.createDeployment('web', 2, 'busybox:1.35', { minReadySeconds: 1 });
    await h.converge();
    await h.readyAll('node-a', new Date().toISOString());
    await h.converge();
    const rs = await replicaSetOf(d, '1.35');
    if (!rs) throw new Error('no ReplicaSet');
    expect((await h.get<ReplicaSet>(R.replicasets, rs.metadata.name)).status).to.include({ readyReplicas: 2, availableReplicas: 0 });
    const result = await h.replicaSets.reconcile(cacheKey(rs));
    expect(result.kind).to.equal('requeueAfter');
    await sleep(1200);
    await h.converge();
    expect((await h.get<ReplicaSet>(R.replicasets, rs.metadata.name)).status).to.include({ availableReplicas: 2 });
    expect((await h.get<Deployment>(R.deployments, 'web')).status).to.include({ availableReplicas: 2 });
  });

  it('makes no new ReplicaSet while paused, scales the current one, and goes on when resumed', async () => {
    const d = await h.createDeployment('web', 3);
    await h.rollOut();
    await h.updateSpec<Deployment>(R.deployments, 'web', (dep) => {
      dep.spec.paused = true;
      image('1.36')(dep);
    });
    await h.converge();
    expect(await replicaSetOf(d, '1.36')).to.equal(undefined);
    expect((await h.get<Deployment>(R.deployments, 'web')).status?.conditions?.find((c) => c.type === 'Progressing')).to.include({ status: 'Unknown', reason: 'DeploymentPaused' });
    await h.updateSpec<Deployment>(R.deployments, 'web', (dep) => (dep.spec.replicas = 5));
    await h.converge();
    expect((await replicaSetOf(d, '1.35'))?.spec.replicas).to.equal(5);
    await h.updateSpec<Deployment>(R.deployments, 'web', (dep) => (dep.spec.paused = false));
    await h.rollOut();
    expect((await replicaSetOf(d, '1.35'))?.spec.replicas).to.equal(0);
    expect((await replicaSetOf(d, '1.36'))?.spec.replicas).to.equal(5);
    expect((await h.get<Deployment>(R.deployments, 'web')).status?.conditions?.find((c) => c.type === 'Progressing')?.reason).to.equal('NewReplicaSetAvailable');
  });

  it('freezes a rollout paused midway, and completes it when resumed', async () => {
    const d = await h.createDeployment('web', 10, 'busybox:1.35');
    await h.rollOut();
    await h.updateSpec<Deployment>(R.deployments, 'web', image('1.36'));
    await h.converge();
    await h.updateSpec<Deployment>(R.deployments, 'web', (dep) => (dep.spec.paused = true));
    const sizes = async () => [(await replicaSetOf(d, '1.35'))?.spec.replicas, (await replicaSetOf(d, '1.36'))?.spec.replicas];
    const midway = await sizes();
    expect(midway).to.deep.equal([8, 5]);
    // The new pods become ready while paused: nothing moves.
    await h.readyAll();
    await h.converge();
    expect(await sizes()).to.deep.equal(midway);
    expect((await h.get<Deployment>(R.deployments, 'web')).status).to.include({ updatedReplicas: 5, availableReplicas: 13 });
    await h.updateSpec<Deployment>(R.deployments, 'web', (dep) => (dep.spec.paused = false));
    await h.rollOut();
    expect(await sizes()).to.deep.equal([0, 10]);
  });
});
