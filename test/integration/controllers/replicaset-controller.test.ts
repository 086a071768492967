import { expect } from 'chai';
import { ReplicaSetController } from '../../../control-plane/controllers/replicaset-controller.js';
import { CollectingEventSink } from '../../support/event-sink.js';
import { silentLogger } from '../../support/logger.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { ReplicaSet } from '../../../proto/objects/apps.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { ControllerHarness, R, ownedBy, useControllerHarness } from './harness.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';

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

  it('creates one pod first, then the other 99 of 100 replicas in one transaction', async () => {
    await h.createReplicaSet('big', 100, { app: 'big' });
    await h.caughtUp();
    await h.replicaSets.reconcile('default/big');
    const pods = await h.list<Pod>(R.pods);
    expect(pods).to.have.length(100);
    // Objects written by one transaction share its revision.
    const byRevision = new Map<string, number>();
    for (const p of pods) byRevision.set(p.metadata.resourceVersion ?? '', (byRevision.get(p.metadata.resourceVersion ?? '') ?? 0) + 1);
    expect([...byRevision.values()].sort((a, b) => a - b)).to.deep.equal([1, 99]);
    expect(new Set(pods.map((p) => p.metadata.uid)).size).to.equal(100);
    expect(h.events.events.filter((e) => e.reason === 'SuccessfulCreate')).to.have.length(100);
    await h.caughtUp();
    expect(h.replicaSets.expectations.outstanding('default/big').creates).to.deep.equal([]);
  });

  it('stops at the first pod whose creation fails, and expects none of the pods it did not create', async () => {
    await h.createReplicaSet('doomed', 50, { app: 'doomed' });
    await h.caughtUp();
    // A controller whose etcd client is closed: every write fails.
    const closed = connectEtcd([h.endpoint]);
    closed.close();
    const events = new CollectingEventSink();
    const controller = new ReplicaSetController(new ObjectStore(closed), h.informer('replicasets'), h.informer('pods'), events, silentLogger());
    let failure: unknown;
    await controller.reconcile('default/doomed').catch((err: unknown) => (failure = err));
    expect(failure).to.be.instanceOf(Error);
    expect(events.events.map((e) => e.reason)).to.deep.equal(['FailedCreate']);
    expect(controller.expectations.outstanding('default/doomed').creates).to.deep.equal([]);
    expect(await h.list(R.pods)).to.have.length(0);
  });

  it('with a status interval, writes a changed status at once, then holds the next change until the interval has passed', async () => {
    await h.createReplicaSet('paced', 2, { app: 'paced' });
    await h.caughtUp();
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const controller = new ReplicaSetController(h.store, h.informer('replicasets'), h.informer('pods'), new CollectingEventSink(), silentLogger(), { statusIntervalMs: 1000, now: () => clock });
    // The first step creates the pods and writes the status it saw before them.
    expect(await controller.reconcile('default/paced')).to.deep.equal({ kind: 'done' });
    await h.caughtUp();
    expect((await h.get<ReplicaSet>(R.replicasets, 'paced')).status).to.include({ replicas: 0 });

    clock += 400;
    expect(await controller.reconcile('default/paced')).to.deep.equal({ kind: 'requeueAfter', delayMs: 600 });
    expect((await h.get<ReplicaSet>(R.replicasets, 'paced')).status).to.include({ replicas: 0 });
    clock += 600;
    expect(await controller.reconcile('default/paced')).to.deep.equal({ kind: 'done' });
    expect((await h.get<ReplicaSet>(R.replicasets, 'paced')).status).to.include({ replicas: 2 });
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
