import { expect } from 'chai';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodStateStore } from '../../../node-agent/agent/pod-state-store.js';
import type { Pod } from '../../../proto/objects/pod.js';

describe('agent/PodStateStore', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-pod-state-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const pod = (resourceVersion: string, image = 'busybox:1.35', status?: Pod['status']): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', uid: 'u-1', resourceVersion },
    spec: { containers: [{ name: 'main', image }], nodeName: 'node-1' },
    ...(status ? { status } : {}),
  });
  const inode = async () => (await stat(join(root, 'pods', 'u-1.json'))).ino;

  it('rewrites a pod only when spec, metadata or startTime changed, not for the echo of a status report', async () => {
    const store = new PodStateStore(root);
    await store.init();
    await store.save(pod('1'));
    const first = await inode();
    await store.save(pod('2', 'busybox:1.35', { phase: 'Pending', startTime: '2026-11-30T04:00:00Z' }));
    const withStart = await inode();
    expect(withStart).to.not.equal(first);
    // Only the status (and resourceVersion) moved: the file stays as it is.
    await store.save(pod('3', 'busybox:1.35', { phase: 'Running', startTime: '2026-11-30T04:00:00Z' }));
    expect(await inode()).to.equal(withStart);
    await store.save(pod('4', 'busybox:1.36', { phase: 'Running', startTime: '2026-11-30T04:00:00Z' }));
    expect(await inode()).to.not.equal(withStart);
    const saved = JSON.parse(await readFile(join(root, 'pods', 'u-1.json'), 'utf8')) as Pod;
    expect(saved.spec.containers[0]?.image).to.equal('busybox:1.36');
    expect(saved.status?.startTime).to.equal('2026-11-30T04:00:00Z');
  });

  it('after a restart, lists the saved pods and skips saving them again unchanged; remove forgets', async () => {
    const before = new PodStateStore(root);
    await before.init();
    await before.save(pod('7', 'busybox:1.35', { phase: 'Running', startTime: '2026-11-30T04:00:00Z' }));
    const written = await inode();
    const after = new PodStateStore(root);
    await after.init();
    expect((await after.list()).map((p) => p.metadata.uid)).to.deep.equal(['u-1']);
    await after.save(pod('8', 'busybox:1.35', { phase: 'Running', startTime: '2026-11-30T04:00:00Z' }));
    expect(await inode()).to.equal(written);
    await after.remove('u-1');
    expect(await after.list()).to.deep.equal([]);
    await after.save(pod('9'));
    expect((await after.list()).map((p) => p.metadata.resourceVersion)).to.deep.equal(['9']);
  });
});
