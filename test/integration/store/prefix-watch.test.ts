import { expect } from 'chai';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { Informer } from '../../../control-plane/watch/informer.js';
import { silentLogger } from '../../support/logger.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import { WatchExpiredError } from '../../../control-plane/errors.js';
import type { PrefixWatch, StoreEvent } from '../../../control-plane/store/prefix-watch.js';
import type { BerthObject } from '../../../proto/objects/meta.js';
import { RESOURCE } from '../../../proto/resources.js';
import { startTestEtcd } from '../../support/etcd.js';
import type { TestEtcd } from '../../support/etcd.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { eventually } from '../../support/wait.js';

const pods = RESOURCE.pods;

function pod(name: string, namespace: string, version = '1'): BerthObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: { version } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
}

/** Collector drains a watch in the background so tests can wait for what arrived. */
class Collector {
  readonly events: StoreEvent[] = [];
  failure: unknown;
  constructor(watch: PrefixWatch) {
    void (async () => {
      try {
        for await (const e of watch) this.events.push(e);
      } catch (err) {
        this.failure = err;
      }
    })();
  }
  summary(from = 0): string[] {
    return this.events.slice(from).map((e) => `${e.type} ${e.object.metadata.name}`);
  }
}

/** The state a consumer builds from the events: name → labels.version. */
function replay(events: StoreEvent[]): Map<string, string | undefined> {
  const state = new Map<string, string | undefined>();
  for (const e of events) {
    if (e.type === 'DELETED') state.delete(e.object.metadata.name);
    else state.set(e.object.metadata.name, e.object.metadata.labels?.version);
  }
  return state;
}

async function storeState(store: ObjectStore, namespace: string): Promise<Map<string, string | undefined>> {
  const { items } = await store.list(pods, namespace);
  return new Map(items.map((p) => [p.metadata.name, p.metadata.labels?.version]));
}

describe('PrefixWatch on a real etcd', function () {
  this.timeout(60_000);
  let etcd: TestEtcd;
  let writerClient: EtcdClient;
  let writer: ObjectStore;
  const cleanups: (() => Promise<void> | void)[] = [];

  before(async () => {
    etcd = await startTestEtcd();
    writerClient = connectEtcd([etcd.endpoint]);
    writer = new ObjectStore(writerClient);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  after(async () => {
    writerClient?.close();
    await etcd?.stop();
  });

  it('lists first, then delivers changes in revision order', async () => {
    await writer.create(pods, pod('pre', 'w0'));
    const watch = writer.watch(pods, 'w0');
    cleanups.push(() => watch.close());
    const got = new Collector(watch);
    await watch.ready();
    await writer.create(pods, pod('a', 'w0'));
    await writer.guaranteedUpdate(pods, 'w0', 'a', (p) => ({ ...p, metadata: { ...p.metadata, labels: { version: '2' } } }));
    await writer.delete(pods, 'w0', 'pre');
    await eventually(() => expect(got.summary()).to.deep.equal(['ADDED pre', 'ADDED a', 'MODIFIED a', 'DELETED pre']));
    const revisions = got.events.slice(1).map((e) => Number(e.revision));
    expect(revisions).to.deep.equal([...revisions].sort((x, y) => x - y));
    expect(got.events[3]?.object.metadata.labels).to.deep.equal({ version: '1' }, 'a DELETED event carries the last state');
  });

  it('delivers every key a single transaction writes (they share one revision)', async () => {
    const watch = writer.watch(pods, 'w5');
    cleanups.push(() => watch.close());
    const got = new Collector(watch);
    await watch.ready();
    const stored = await writer.createAll(['a', 'b', 'c'].map((name) => ({ info: pods, object: pod(name, 'w5') })), []);
    expect(stored?.map((p) => p.metadata.resourceVersion)).to.satisfy((rvs: string[]) => new Set(rvs).size === 1, 'one revision for all three');
    await eventually(() => expect(got.summary()).to.deep.equal(['ADDED a', 'ADDED b', 'ADDED c']));
    await writer.delete(pods, 'w5', 'b');
    await eventually(() => expect(got.summary()).to.deep.equal(['ADDED a', 'ADDED b', 'ADDED c', 'DELETED b']));
  });

  it('resumes after an etcd restart from the last event delivered: nothing lost, nothing twice', async () => {
    const watch = writer.watch(pods, 'w1');
    cleanups.push(() => watch.close());
    const got = new Collector(watch);
    await watch.ready();
    await writer.create(pods, pod('a', 'w1'));
    await writer.create(pods, pod('b', 'w1'));
    await eventually(() => expect(got.summary()).to.deep.equal(['ADDED a', 'ADDED b']));

    await etcd.etcd.kill();
    await etcd.etcd.restart();
    await eventually(async () => {
      await writer.create(pods, pod('c', 'w1'));
    });
    await writer.guaranteedUpdate(pods, 'w1', 'a', (p) => ({ ...p, metadata: { ...p.metadata, labels: { version: '2' } } }));
    await writer.delete(pods, 'w1', 'b');

    await eventually(() => expect(got.summary()).to.deep.equal(['ADDED a', 'ADDED b', 'ADDED c', 'MODIFIED a', 'DELETED b']), 20_000);
    expect(replay(got.events)).to.deep.equal(await storeState(writer, 'w1'));
  });

  it('after a compaction during a partition, lists again and delivers each final state exactly once', async () => {
    const proxy = new TcpProxy(Number(new URL(etcd.endpoint).port));
    await proxy.start();
    cleanups.push(() => proxy.cut());
    const watchClient = connectEtcd([`http://127.0.0.1:${proxy.port}`]);
    cleanups.push(() => watchClient.close());
    const watch = new ObjectStore(watchClient).watch(pods, 'w2');
    cleanups.push(() => watch.close());
    const got = new Collector(watch);
    await watch.ready();
    for (const name of ['x', 'y', 'z']) await writer.create(pods, pod(name, 'w2'));
    await eventually(() => expect(got.summary()).to.deep.equal(['ADDED x', 'ADDED y', 'ADDED z']));

    await proxy.cut();
    await writer.guaranteedUpdate(pods, 'w2', 'x', (p) => ({ ...p, metadata: { ...p.metadata, labels: { version: '2' } } }));
    await writer.delete(pods, 'w2', 'y');
    await writer.create(pods, pod('q', 'w2', '1'));
    for (const v of ['2', '3']) await writer.guaranteedUpdate(pods, 'w2', 'q', (p) => ({ ...p, metadata: { ...p.metadata, labels: { version: v } } }));
    const now = await writer.currentRevision();
    await writerClient.kv.compact({ revision: now, physical: true });
    await proxy.restore();

    await eventually(() => expect(got.events.length).to.be.at.least(6), 20_000);
    expect(got.summary(3).sort()).to.deep.equal(['ADDED q', 'DELETED y', 'MODIFIED x']);
    expect(got.events.find((e) => e.object.metadata.name === 'q')?.object.metadata.labels).to.deep.equal({ version: '3' });
    expect(replay(got.events)).to.deep.equal(await storeState(writer, 'w2'));
  });

  it('from a revision, survives etcd being unreachable at the start and delivers what follows', async () => {
    await writer.create(pods, pod('early', 'w6'));
    const from = await writer.currentRevision();
    const proxy = new TcpProxy(Number(new URL(etcd.endpoint).port));
    await proxy.start();
    cleanups.push(() => proxy.cut());
    const watchClient = connectEtcd([`http://127.0.0.1:${proxy.port}`]);
    cleanups.push(() => watchClient.close());
    await proxy.cut();
    const watch = new ObjectStore(watchClient).watch(pods, 'w6', { fromRevision: from });
    cleanups.push(() => watch.close());
    const got = new Collector(watch);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await proxy.restore();
    await writer.create(pods, pod('later', 'w6'));
    await eventually(() => expect(got.summary()).to.deep.equal(['ADDED later']), 20_000);
  });

  it('refuses to start from a compacted revision, saying to list again', async () => {
    const created = await writer.create(pods, pod('old', 'w3'));
    await writer.guaranteedUpdate(pods, 'w3', 'old', (p) => ({ ...p, metadata: { ...p.metadata, labels: { version: '2' } } }));
    await writerClient.kv.compact({ revision: await writer.currentRevision(), physical: true });
    const watch = writer.watch(pods, 'w3', { fromRevision: String(Number(created.metadata.resourceVersion) - 1) });
    cleanups.push(() => watch.close());
    try {
      await watch.next();
      expect.fail('watch from a compacted revision started');
    } catch (err) {
      expect(err).to.be.instanceOf(WatchExpiredError);
      expect((err as Error).message).to.contain('list again');
    }
  });

  it('without previous values, delivers a deletion with the object\'s identity; an informer hands out its last state', async () => {
    const watch = writer.watch(pods, 'w9', { previousValues: false });
    cleanups.push(() => watch.close());
    const got = new Collector(watch);
    await watch.ready();
    await writer.create(pods, pod('gone', 'w9', '7'));
    await writer.delete(pods, 'w9', 'gone');
    await eventually(() => expect(got.summary()).to.deep.equal(['ADDED gone', 'DELETED gone']));
    expect(got.events[1]?.object.metadata).to.include({ name: 'gone', namespace: 'w9' });
    expect(got.events[1]?.previous).to.equal(undefined);

    const informer = new Informer(pods, writer, silentLogger());
    cleanups.push(() => informer.stop());
    const deleted: BerthObject[] = [];
    informer.onChange((type, object) => type === 'DELETED' && deleted.push(object));
    await writer.create(pods, pod('last', 'w9', '9'));
    await informer.start();
    await writer.delete(pods, 'w9', 'last');
    await eventually(() => expect(deleted).to.have.length(1));
    expect(deleted[0]?.metadata.labels).to.deep.equal({ version: '9' });
  });

  it('from a recent revision, delivers only the changes after it', async () => {
    await writer.create(pods, pod('before', 'w4'));
    const rev = await writer.currentRevision();
    const watch = writer.watch(pods, 'w4', { fromRevision: rev });
    cleanups.push(() => watch.close());
    const got = new Collector(watch);
    await watch.ready();
    await writer.create(pods, pod('after', 'w4'));
    await writer.delete(pods, 'w4', 'before');
    await eventually(() => expect(got.summary()).to.deep.equal(['ADDED after', 'DELETED before']));
  });
});
