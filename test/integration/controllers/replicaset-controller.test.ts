import { expect } from 'chai';
import { newIdentity } from '../../../control-plane/api/apply-plan.js';
import type { ReplicaSet } from '../../../proto/objects/apps.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { ControllerHarness, R, ownedBy, useControllerHarness } from './harness.js';

describe('ReplicaSet controller and garbage collector on a real etcd', function () {
  this.timeout(60_000);
  let h: ControllerHarness;
  useControllerHarness((harness) => {
    h = harness;
  });

  it('creates no duplicate pods when reconcile runs again, concurrently or before the informer has seen its writes', async () => {
    await h.createReplicaSet('web', 3, { app: 'web' });
    await h.caughtUp();
    await Promise.all([h.replicaSets.reconcile('default/web'), h.replicaSets.reconcile('default/web')]);
    expect(await h.list(R.pods)).to.have.length(3);

    // A pod watch that lags behind: the controller's own creations are not in its cache yet.
    await h.createReplicaSet('api', 2, { app: 'api' });
    await h.caughtUp();
    h.informer('pods').stop();
    await h.replicaSets.reconcile('default/api');
    await h.replicaSets.reconcile('default/api');
    expect(h.informer('pods').list((p) => p.metadata.labels?.app === 'api')).to.have.length(0);
    expect(h.replicaSets.expectations.outstanding('default/api').creates).to.have.length(2);
    expect((await h.list(R.pods)).filter((p) => p.metadata.labels?.app === 'api')).to.have.length(2);

    // The watch catches up: the expectations are met and nothing more is created.
    await h.informer('pods').start();
    await h.converge();
    expect(h.replicaSets.expectations.outstanding('default/api').creates).to.deep.equal([]);
    expect(await h.list(R.pods)).to.have.length(5);
    expect(h.events.events.filter((e) => e.reason === 'SuccessfulCreate')).to.have.length(5);
  });

  it('adopts a matching orphan pod instead of creating another', async () => {
    const orphan: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hand-made', namespace: 'default', labels: { app: 'web' }, ...newIdentity() }, spec: { containers: [{ name: 'main', image: 'busybox:1.35' }] }, status: { phase: 'Pending' } };
    await h.store.create(R.pods, orphan);
    const rs = await h.createReplicaSet('web', 2, { app: 'web' });
    await h.converge();
    const pods = await h.list<Pod>(R.pods);
    expect(pods).to.have.length(2);
    expect(pods.every((p) => ownedBy(p, rs))).to.equal(true);
    expect(pods.map((p) => p.metadata.name)).to.include('hand-made');
  });

  it('ends quietly when the ReplicaSet is gone', async () => {
    expect(await h.replicaSets.reconcile('default/nothing')).to.deep.equal({ kind: 'done' });
  });

  it('collects pods that name an owner uid that no longer exists, even if the name was reused', async () => {
    const stale: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'left-over', namespace: 'default', labels: { app: 'other' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'uid-of-a-deleted-rs', controller: true }], ...newIdentity() },
      spec: { containers: [{ name: 'main', image: 'busybox:1.35' }] },
    };
    await h.store.create(R.pods, stale);
    await h.createReplicaSet('web', 1, { app: 'web' });
    await h.converge();
    const pods = await h.list<Pod>(R.pods);
    expect(pods.map((p) => p.metadata.name)).to.not.include('left-over');
    expect(pods).to.have.length(1);
    const rs = await h.get<ReplicaSet>(R.replicasets, 'web');
    expect(ownedBy(pods[0] as Pod, rs)).to.equal(true);
  });
});
