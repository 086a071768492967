import { expect } from 'chai';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { ControllerManager } from '../../../control-plane/controllers/manager.js';
import { CollectingEventSink } from '../../support/event-sink.js';
import { silentLogger } from '../../support/logger.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { Deployment } from '../../../proto/objects/apps.js';
import type { Lease, Node } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { startTestEtcd } from '../../support/etcd.js';
import type { TestEtcd } from '../../support/etcd.js';
import { eventually } from '../../support/wait.js';
import { R } from './harness.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';
import { applyDefaults } from '../../../control-plane/objects/defaults.js';
import type { ObjectCache } from '../../../control-plane/watch/object-cache.js';

describe('ControllerManager end to end on a real etcd', function () {
  this.timeout(60_000);
  let etcd: TestEtcd;
  let client: EtcdClient;
  let manager: ControllerManager | undefined;

  before(async () => {
    etcd = await startTestEtcd();
    client = connectEtcd([etcd.endpoint]);
  });
  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
    await client.delete().prefix('/berth/');
  });
  after(async () => {
    client?.close();
    await etcd?.stop();
  });

  it('runs a Deployment up to its pods, scales it, and cleans up after its deletion; stops when leadership ends', async () => {
    const store = new ObjectStore(client);
    const events = new CollectingEventSink();
    // Another leader-only worker (the scheduler, in the control plane) runs on the same informers.
    let extra: { pods: ObjectCache; started: boolean } | undefined;
    manager = new ControllerManager(store, events, silentLogger(), {
      alsoRun: (informers) => {
        const state = { pods: informers.forResource('pods'), started: false };
        extra = state;
        return [{ start: (signal) => ((state.started = true), new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()))) }];
      },
    });
    const leadership = new AbortController();
    await manager.start(leadership.signal);
    expect(manager.isRunning).to.equal(true);
    expect(extra?.started).to.equal(true);
    expect(extra?.pods.hasSynced).to.equal(true);

    const d: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', generation: 1, ...newIdentity() },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.35' }] } } },
    };
    applyDefaults(d);
    await store.create(R.deployments, d);
    const pods = async () => (await store.list(R.pods, 'default')).items as Pod[];
    await eventually(async () => {
      const list = await pods();
      expect(list).to.have.length(3);
      for (const p of list) expect(p.metadata.ownerReferences?.[0]).to.include({ kind: 'ReplicaSet', controller: true });
    }, 20_000);
    await eventually(async () => expect(((await store.get(R.deployments, 'default', 'web')) as Deployment).status).to.include({ replicas: 3, updatedReplicas: 3 }), 20_000);

    await store.guaranteedUpdate(R.deployments, 'default', 'web', (o) => {
      (o as Deployment).spec.replicas = 1;
      o.metadata.generation = (o.metadata.generation ?? 0) + 1;
      return o;
    });
    await eventually(async () => expect(await pods()).to.have.length(1), 20_000);

    await store.delete(R.deployments, 'default', 'web');
    await eventually(async () => {
      expect(await pods()).to.have.length(0);
      expect((await store.list(R.replicasets, 'default')).items).to.have.length(0);
    }, 20_000);

    // Leadership lost: the workers and informers stop; nothing reacts any more.
    leadership.abort();
    await eventually(() => expect(manager?.isRunning).to.equal(false));
    await store.create(R.deployments, { ...d, metadata: { ...d.metadata, name: 'late', ...newIdentity() } });
    await new Promise((r) => setTimeout(r, 500));
    expect((await store.list(R.replicasets, 'default')).items).to.have.length(0);
  });

  it('replaces the pods of a node whose agent stops renewing its lease, using its own timers', async () => {
    const store = new ObjectStore(client);
    const events = new CollectingEventSink();
    manager = new ControllerManager(store, events, silentLogger(), { nodeGracePeriodMs: 1000 });
    await manager.start(new AbortController().signal);
    await store.create(R.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', ...newIdentity() }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'AgentReady' }] } } as Node);
    const lease: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', ...newIdentity() }, spec: { holderIdentity: 'n1', renewTime: new Date().toISOString() } };
    await store.create(R.leases, lease);
    // The agent heartbeats every 200 ms until it "dies".
    const heartbeat = setInterval(() => {
      store.guaranteedUpdate(R.leases, undefined, 'n1', (o) => ({ ...o, spec: { ...(o as Lease).spec, renewTime: new Date().toISOString() } })).catch(() => undefined);
    }, 200);
    try {
      const d: Deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default', generation: 1, ...newIdentity() },
        spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.35' }] } } },
      };
      applyDefaults(d);
      await store.create(R.deployments, d);
      const pods = async () => (await store.list(R.pods, 'default')).items as Pod[];
      await eventually(async () => expect(await pods()).to.have.length(2), 20_000);
      const first = (await pods()).map((p) => p.metadata.name);
      // Scheduler and agent stand-in: both pods run on n1.
      for (const name of first) {
        await store.guaranteedUpdate(R.pods, 'default', name, (o) => {
          const p = o as Pod;
          p.spec.nodeName = 'n1';
          p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
          return p;
        });
      }
      // The agent dies. (That a renewing node is left alone is asserted on a fake clock in node-lifecycle-controller.test.ts.)
      clearInterval(heartbeat);
      await eventually(async () => {
        expect(((await store.get(R.nodes, undefined, 'n1')) as Node).status?.conditions?.[0]).to.include({ status: 'Unknown', reason: 'NodeStatusUnknown' });
        const now = await pods();
        expect(now).to.have.length(2);
        for (const p of now) expect(first).to.not.include(p.metadata.name);
      }, 20_000);
      expect(events.events.map((e) => e.reason)).to.include('NodeNotReady');
    } finally {
      clearInterval(heartbeat);
    }
  });
});
