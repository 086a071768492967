import { expect } from 'chai';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { Binder } from '../../../control-plane/scheduler/binder.js';
import type { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import { useEtcdStore } from '../../support/etcd.js';

const pods = RESOURCE.pods;

describe('Binder on a real etcd', function () {
  this.timeout(30_000);
  let client: EtcdClient;
  let store: ObjectStore;

  useEtcdStore((env) => ({ client, store } = env), { emptyAfterEach: true });

  const newPod = (name: string): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { schedulerName: 'default-scheduler', containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase: 'Pending' },
  });
  const create = async (names: string[]) => Promise.all(names.map(async (n) => (await store.create(pods, newPod(n))) as Pod));
  const read = async (name: string) => (await store.get(pods, 'default', name)) as Pod;

  it('binds more pods than one transaction holds, setting nodeName and PodScheduled', async () => {
    const created = await create(Array.from({ length: 300 }, (_, i) => `p-${i}`));
    const outcomes = await new Binder(store, 'default-scheduler').bind(created.map((pod) => ({ pod, nodeName: 'n1' })), '2026-01-01T00:00:00Z');
    expect(outcomes.filter((o) => o.kind === 'bound')).to.have.length(300);
    const p = await read('p-299');
    expect(p.spec.nodeName).to.equal('n1');
    expect(p.status?.conditions).to.deep.equal([{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }]);
  });

  it('when some pods changed, binds the others and reports each changed one without touching it', async () => {
    const [a, b, c, d] = (await create(['a', 'b', 'c', 'd'])) as [Pod, Pod, Pod, Pod];
    await store.update(pods, { ...b, spec: { ...b.spec, nodeName: 'elsewhere' } });
    await store.delete(pods, 'default', 'c');
    await store.update(pods, { ...d, metadata: { ...d.metadata, labels: { changed: 'yes' } } });
    const outcomes = await new Binder(store, 'default-scheduler').bind([a, b, c, d].map((pod) => ({ pod, nodeName: 'n1' })), '2026-01-01T00:00:00Z');
    expect(outcomes.map((o) => o.kind)).to.deep.equal(['bound', 'alreadyBound', 'gone', 'changed']);
    expect((await read('a')).spec.nodeName).to.equal('n1');
    expect((await read('b')).spec.nodeName).to.equal('elsewhere');
    expect(await store.tryGet(pods, 'default', 'c')).to.equal(undefined);
    expect((await read('d')).spec.nodeName).to.equal(undefined);
  });
});
