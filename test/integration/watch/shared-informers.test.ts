import { expect } from 'chai';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { Informer } from '../../../control-plane/watch/informer.js';
import { SharedInformers } from '../../../control-plane/watch/shared-informers.js';
import { silentLogger } from '../../support/logger.js';
import type { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { useEtcdStore } from '../../support/etcd.js';
import { eventually } from '../../support/wait.js';
import { R } from '../controllers/harness.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';

describe('SharedInformers borrowing a longer-lived informer, on a real etcd', function () {
  this.timeout(30_000);
  let client: EtcdClient;
  let store: ObjectStore;
  let podInformer: Informer;

  useEtcdStore((env) => ({ client, store } = env));
  beforeEach(() => {
    podInformer = new Informer(R.pods, store, silentLogger());
  });
  afterEach(async () => {
    podInformer.stop();
    await client.delete().prefix('/berth/');
  });

  const createPod = (name: string) =>
    store.create(R.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...newIdentity() }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } } as Pod);

  /** A leadership term: its own SharedInformers, one handler on pods recording what it is told. */
  function term(): { informers: SharedInformers; seen: string[] } {
    const informers = new SharedInformers(store, silentLogger(), [podInformer]);
    const seen: string[] = [];
    informers.forResource('pods').onChange((type, object) => seen.push(`${type} ${object.metadata.name}`));
    informers.forResource('nodes');
    return { informers, seen };
  }

  it('starts it if nobody has, replays its cache to each term as ADDED, and removes a term\'s handlers at its end without stopping it', async () => {
    await createPod('before');
    const first = term();
    await first.informers.start();
    expect(podInformer.hasSynced).to.equal(true);
    expect(first.seen).to.deep.equal(['ADDED before']);
    await createPod('during');
    await eventually(() => expect(first.seen).to.deep.equal(['ADDED before', 'ADDED during']));

    first.informers.stop();
    await createPod('between');
    await eventually(() => expect(podInformer.get('default/between')).to.not.equal(undefined));
    expect(first.seen).to.deep.equal(['ADDED before', 'ADDED during']);

    const second = term();
    await second.informers.start();
    expect([...second.seen].sort()).to.deep.equal(['ADDED before', 'ADDED between', 'ADDED during']);
    await store.delete(R.pods, 'default', 'before');
    await eventually(() => expect(second.seen).to.include('DELETED before'));
    expect(first.seen).to.have.length(2);
    second.informers.stop();
  });
});
