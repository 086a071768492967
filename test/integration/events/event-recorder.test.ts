import { expect } from 'chai';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { EventRecorder } from '../../../control-plane/events/event-recorder.js';
import { silentLogger } from '../../support/logger.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { Event } from '../../../proto/objects/cluster.js';
import { RESOURCE } from '../../../proto/resources.js';
import { startTestEtcd } from '../../support/etcd.js';
import type { TestEtcd } from '../../support/etcd.js';
import { eventually } from '../../support/wait.js';

const events = RESOURCE.events;

describe('EventRecorder on a real etcd', function () {
  this.timeout(20_000);
  let etcd: TestEtcd;
  let client: EtcdClient;

  before(async () => {
    etcd = await startTestEtcd();
    client = connectEtcd([etcd.endpoint]);
  });
  after(async () => {
    client?.close();
    await etcd?.stop();
  });

  it('folds repeats into one event with a count, and the event keeps its expiry', async () => {
    const store = new ObjectStore(client);
    const recorder = new EventRecorder(store, 'test', silentLogger());
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'crashy', namespace: 'default', uid: 'u-1' } };
    recorder.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await eventually(async () => expect((await store.list(events, 'default')).items).to.have.length(1));
    recorder.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await eventually(async () => expect(((await store.list(events, 'default')).items[0] as Event).count).to.equal(2));
    const [event] = (await store.list(events, 'default')).items;
    const raw = await client.get(`/berth/events/default/${event?.metadata.name}`).exec();
    expect(raw.kvs[0]?.lease, 'the folded event is still bound to its expiry lease').to.not.equal('0');
  });

  it('writes many events recorded at once, each bound to its expiry lease', async () => {
    const store = new ObjectStore(client);
    const recorder = new EventRecorder(store, 'test', silentLogger());
    for (let i = 0; i < 150; i++) {
      recorder.record({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `many-${i}`, namespace: 'burst', uid: `u-many-${i}` } }, 'Normal', 'Scheduled', `assigned burst/many-${i} to node-1`);
    }
    await eventually(async () => expect((await store.list(events, 'burst')).items).to.have.length(150));
    const raw = await client.getAll().prefix('/berth/events/burst/').exec();
    expect(raw.kvs.filter((kv) => kv.lease === '0'), 'events without an expiry lease').to.have.length(0);
    const reasons = (await store.list(events, 'burst')).items.map((e) => `${(e as Event).involvedObject.name}:${(e as Event).count}`);
    expect(reasons).to.include.members(['many-0:1', 'many-149:1']);
  });
});
