import { expect } from 'chai';
import { silentLogger } from '../../support/logger.js';
import { NodeHeartbeat } from '../../../control-plane/nodes/node-heartbeat.js';
import type { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { Lease, Node } from '../../../proto/objects/cluster.js';
import { RESOURCE } from '../../../proto/resources.js';
import { useEtcdStore } from '../../support/etcd.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';

const leases = RESOURCE.leases;
const nodes = RESOURCE.nodes;

describe('NodeHeartbeat on a real etcd', function () {
  this.timeout(30_000);
  let store: ObjectStore;

  useEtcdStore((env) => ({ store } = env));

  it('renews the lease it wrote last, and still renews it after another replica did', async () => {
    await store.create(nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'hb-node', ...newIdentity() }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'True' }] } } as Node);
    const heartbeat = new NodeHeartbeat(store, silentLogger());
    const renewTime = async () => ((await store.get(leases, undefined, 'hb-node')) as Lease).spec.renewTime ?? '';
    await heartbeat.beat('hb-node');
    const first = await renewTime();
    await new Promise((r) => setTimeout(r, 5));
    await heartbeat.beat('hb-node');
    const second = await renewTime();
    expect(second > first).to.equal(true);
    // Another control-plane replica renews it: the remembered copy is stale, its guard fails, the beat reads and renews.
    await new NodeHeartbeat(store, silentLogger()).beat('hb-node');
    const third = await renewTime();
    await new Promise((r) => setTimeout(r, 5));
    await heartbeat.beat('hb-node');
    expect((await renewTime()) > third).to.equal(true);
  });
});
