import { expect } from 'chai';
import { silentLogger } from '../../support/logger.js';
import { NotFoundError } from '../../../control-plane/errors.js';
import { NodeHeartbeat } from '../../../control-plane/nodes/node-heartbeat.js';
import type { KnownNodes } from '../../../control-plane/nodes/node-heartbeat.js';
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
  /** What the heartbeat finds in its node feed: set per test, possibly behind etcd. */
  let known: Map<string, Node>;
  const feed: KnownNodes = { start: async () => undefined, get: (name) => known.get(name) };

  useEtcdStore((env) => ({ store } = env), { emptyAfterEach: true });
  beforeEach(() => (known = new Map()));

  async function createNode(name: string, ready: 'True' | 'Unknown' = 'True'): Promise<Node> {
    const node = (await store.create(nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name, ...newIdentity() }, spec: {}, status: { conditions: [{ type: 'Ready', status: ready }] } } as Node)) as Node;
    known.set(name, node);
    return node;
  }
  const lease = async (name: string) => (await store.tryGet(leases, undefined, name)) as Lease | undefined;
  const readyStatus = async (name: string) => ((await store.get(nodes, undefined, name)) as Node).status?.conditions?.find((c) => c.type === 'Ready')?.status;

  it('renews the lease it wrote last, and still renews it after another replica did', async () => {
    await createNode('hb-node');
    const heartbeat = new NodeHeartbeat(store, silentLogger(), feed);
    const renewTime = async () => (await lease('hb-node'))?.spec.renewTime ?? '';
    await heartbeat.beat('hb-node');
    const first = await renewTime();
    await new Promise((r) => setTimeout(r, 5));
    await heartbeat.beat('hb-node');
    const second = await renewTime();
    expect(second > first).to.equal(true);
    // Another control-plane replica renews it: the remembered copy is stale, its guard fails, the beat renews what is there now.
    await new NodeHeartbeat(store, silentLogger(), feed).beat('hb-node');
    const third = await lease('hb-node');
    await new Promise((r) => setTimeout(r, 5));
    await heartbeat.beat('hb-node');
    const fourth = await lease('hb-node');
    expect((fourth?.spec.renewTime ?? '') > (third?.spec.renewTime ?? '')).to.equal(true);
    expect(fourth?.metadata.uid).to.equal(third?.metadata.uid);
  });

  it('answers NotFound for a node deleted after the feed saw it, and writes no lease', async () => {
    await createNode('deleted-node');
    await store.delete(nodes, undefined, 'deleted-node');
    const beat = await new NodeHeartbeat(store, silentLogger(), feed).beat('deleted-node').catch((err: unknown) => err);
    expect(beat).to.be.instanceOf(NotFoundError);
    expect(await lease('deleted-node')).to.equal(undefined);
    const never = await new NodeHeartbeat(store, silentLogger(), feed).beat('never-registered').catch((err: unknown) => err);
    expect(never).to.be.instanceOf(NotFoundError);
  });

  it('turns a node Ready again that the feed still shows Ready, and one the feed has not seen yet', async () => {
    await createNode('lagging-node');
    // The lifecycle controller gave up on it; the feed has not delivered that yet.
    await store.guaranteedUpdate(nodes, undefined, 'lagging-node', (n) => ({ ...n, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }) as Node);
    await createNode('unseen-node', 'Unknown');
    known.delete('unseen-node');
    const heartbeat = new NodeHeartbeat(store, silentLogger(), feed);
    await Promise.all([heartbeat.beat('lagging-node'), heartbeat.beat('unseen-node')]);
    expect(await readyStatus('lagging-node')).to.equal('True');
    expect(await readyStatus('unseen-node')).to.equal('True');
    expect((await lease('unseen-node'))?.spec.holderIdentity).to.equal('unseen-node');
  });

  it('renews 300 nodes beating at once in a few transactions, one of them failing alone', async () => {
    const names = Array.from({ length: 300 }, (_, i) => `fleet-${i}`);
    await Promise.all(names.map((name) => createNode(name)));
    await store.delete(nodes, undefined, 'fleet-7');
    const heartbeat = new NodeHeartbeat(store, silentLogger(), feed);
    const results = await Promise.allSettled(names.map((name) => heartbeat.beat(name)));
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).to.have.length(1).and.satisfy((errs: unknown[]) => errs[0] instanceof NotFoundError);
    const written = await store.list(leases);
    expect(written.items).to.have.length(299);
    // Leases written in one transaction share its revision.
    const transactions = new Set(written.items.map((l) => l.metadata.resourceVersion));
    expect(transactions.size).to.be.at.most(10);
  });

  it('answers two beats of one node that arrive together with one renewal', async () => {
    await createNode('double-node');
    const heartbeat = new NodeHeartbeat(store, silentLogger(), feed);
    const [a, b] = await Promise.all([heartbeat.beat('double-node'), heartbeat.beat('double-node')]);
    expect(a.leaseDurationSeconds).to.equal(b.leaseDurationSeconds);
    expect((await lease('double-node'))?.spec.holderIdentity).to.equal('double-node');
  });
});
