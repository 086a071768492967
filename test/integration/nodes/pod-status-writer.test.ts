import { expect } from 'chai';
import { NotFoundError } from '../../../control-plane/errors.js';
import { PodNotOnNodeError, PodStatusWriter } from '../../../control-plane/nodes/pod-status-writer.js';
import type { PodStatusReport } from '../../../control-plane/nodes/pod-status-writer.js';
import type { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { Pod, PodStatus } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import { useEtcdStore } from '../../support/etcd.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';
import { applyDefaults } from '../../../control-plane/objects/defaults.js';

const pods = RESOURCE.pods;

describe('PodStatusWriter on a real etcd', function () {
  this.timeout(30_000);
  let store: ObjectStore;
  /** What the writer finds in its "informer": set per test, possibly behind etcd. */
  let cache: Map<string, Pod>;
  let writer: PodStatusWriter;

  useEtcdStore((env) => ({ store } = env), { emptyAfterEach: true });
  beforeEach(() => {
    cache = new Map();
    writer = new PodStatusWriter(store, (key) => cache.get(key));
  });

  async function createPod(name: string, nodeName: string | undefined, cached = true): Promise<Pod> {
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...newIdentity() }, spec: { containers: [{ name: 'c', image: 'busybox:1' }], ...(nodeName ? { nodeName } : {}) } };
    applyDefaults(pod);
    const stored = (await store.create(pods, pod)) as Pod;
    if (cached) cache.set(`default/${name}`, stored);
    return stored;
  }

  const running = (ip: string): PodStatus => ({ phase: 'Running', podIP: ip });
  const report = (pod: Pod, nodeName: string, status: PodStatus, uid = pod.metadata.uid ?? ''): PodStatusReport => ({ nodeName, namespace: 'default', name: pod.metadata.name, uid, status });
  const stored = async (name: string) => (await store.get(pods, 'default', name)) as Pod;

  it('writes the reports of one turn in one transaction, refusing a foreign node, a stale uid and a missing pod alone', async () => {
    const a = await createPod('a', 'n1');
    const b = await createPod('b', 'n1');
    const c = await createPod('c', 'n1');
    const d = await createPod('d', 'n2');
    const results = await Promise.allSettled([
      writer.write(report(a, 'n1', running('10.0.0.1'))),
      writer.write(report(d, 'n1', running('10.0.0.4'))),
      writer.write(report(b, 'n1', running('10.0.0.2'))),
      writer.write(report(c, 'n1', running('10.0.0.3'), 'uid-of-an-older-pod')),
      writer.write({ nodeName: 'n1', namespace: 'default', name: 'never-was', uid: '', status: running('10.0.0.5') }),
    ]);
    const [okA, foreign, okB, staleUid, missing] = results;
    expect(okA.status === 'fulfilled' && okA.value.status).to.deep.equal(running('10.0.0.1'));
    expect(okB.status === 'fulfilled' && okB.value.status).to.deep.equal(running('10.0.0.2'));
    expect(foreign.status === 'rejected' && foreign.reason).to.be.instanceOf(PodNotOnNodeError);
    expect(staleUid.status === 'rejected' && staleUid.reason).to.be.instanceOf(PodNotOnNodeError);
    expect(missing.status === 'rejected' && missing.reason).to.be.instanceOf(NotFoundError);
    const [sa, sb, sc, sd] = await Promise.all(['a', 'b', 'c', 'd'].map(stored));
    expect(sa?.status).to.deep.equal(running('10.0.0.1'));
    expect(sb?.status).to.deep.equal(running('10.0.0.2'));
    expect(sa?.metadata.resourceVersion).to.equal(sb?.metadata.resourceVersion);
    expect(sc?.metadata.resourceVersion).to.equal(c.metadata.resourceVersion);
    expect(sd?.metadata.resourceVersion).to.equal(d.metadata.resourceVersion);
  });

  it('plans on a cached copy behind etcd without losing what changed meanwhile', async () => {
    const pod = await createPod('lagging', 'n1');
    await store.guaranteedUpdate(pods, 'default', 'lagging', (p) => ({ ...p, metadata: { ...p.metadata, labels: { tier: 'web' } } }));
    // In the same batch, a pod whose cached copy is current: it is written whatever the other's guard does.
    const fresh = await createPod('fresh', 'n1');
    const [written] = await Promise.all([writer.write(report(pod, 'n1', running('10.0.1.1'))), writer.write(report(fresh, 'n1', running('10.0.1.2')))]);
    expect(written.status).to.deep.equal(running('10.0.1.1'));
    const now = await stored('lagging');
    expect(now.metadata.labels).to.deep.equal({ tier: 'web' });
    expect(now.status).to.deep.equal(running('10.0.1.1'));
    expect((await stored('fresh')).status).to.deep.equal(running('10.0.1.2'));
  });

  it('accepts a report the cache would refuse when etcd shows the pod bound to the node', async () => {
    const unbound = await createPod('just-bound', undefined);
    await store.guaranteedUpdate(pods, 'default', 'just-bound', (p) => ({ ...p, spec: { ...(p as Pod).spec, nodeName: 'n1' } }));
    expect(cache.get('default/just-bound')?.spec.nodeName).to.equal(undefined);
    await writer.write(report(unbound, 'n1', running('10.0.2.1')));
    expect((await stored('just-bound')).status).to.deep.equal(running('10.0.2.1'));
  });

  it('applies two reports of one pod in the order they came, and writes nothing for a status it already has', async () => {
    const pod = await createPod('twice', 'n1');
    const first = writer.write(report(pod, 'n1', { phase: 'Pending' }));
    const second = writer.write(report(pod, 'n1', running('10.0.3.1')));
    await Promise.all([first, second]);
    const after = await stored('twice');
    expect(after.status).to.deep.equal(running('10.0.3.1'));
    const again = await writer.write(report(pod, 'n1', running('10.0.3.1')));
    expect(again.metadata.resourceVersion).to.equal(after.metadata.resourceVersion);
    expect((await stored('twice')).metadata.resourceVersion).to.equal(after.metadata.resourceVersion);
  });
});
