import { mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { ContainerRecord } from '../../../node-agent/agent/container-record.js';
import { newRecord } from '../../../node-agent/agent/container-record.js';
import type { EventReporter } from '../../../node-agent/agent/event-reporter.js';
import { ContainerConfigError } from '../../../node-agent/config/config-error.js';
import { HostMounter, mountPointsUnder } from '../../../node-agent/runtime/mounter.js';
import { DATA_DIR } from '../../../node-agent/volumes/atomic-writer.js';
import { NodeVolumes } from '../../../node-agent/volumes/node-volumes.js';
import { PodVolumeState } from '../../../node-agent/volumes/pod-volume-state.js';
import { VolumeDirs } from '../../../node-agent/volumes/volume-dirs.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { ConfigObjectsDouble } from '../../support/config-objects-double.js';
import { eventually } from '../../support/wait.js';

const FACTS = { hostIP: '10.0.0.1', podIP: '10.244.0.9', allocatable: { cpu: '2', memory: '4Gi' } };

function podWith(uid: string, spec: Partial<Pod['spec']>): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${uid}`, namespace: 'shop', uid }, spec: { containers: [{ name: 'main', image: 'busybox' }], ...spec } };
}

/** A secret, a configMap and a tmpfs emptyDir, as the agent sets them up on the node (real tmpfs mounts, as root). */
describe('volumes on the node: set up, updated, removed', function () {
  this.timeout(20_000);
  let root: string;
  let config: ConfigObjectsDouble;
  let volumes: NodeVolumes;
  let dirs: VolumeDirs;
  const events: string[] = [];
  const reporter: EventReporter = { pod: (_p, type, reason, message) => events.push(`${type} ${reason} ${message}`) };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-volumes-'));
    config = new ConfigObjectsDouble();
    dirs = new VolumeDirs(root, new HostMounter());
    volumes = new NodeVolumes(dirs, config);
    events.length = 0;
  });
  afterEach(async () => {
    // Whatever a failed test left mounted goes before the directory.
    for (const point of await mountPointsUnder(root)) await new HostMounter().unmount(point, true);
    await rm(root, { recursive: true, force: true });
  });

  it('a secret volume is a tmpfs whose files follow the Secret, and nothing is left once the pod goes', async () => {
    config.setSecret('shop', 'creds', { password: 'one' });
    const pod = podWith('u1', { volumes: [{ name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } }, { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }] });
    await volumes.setUp(pod, FACTS);
    const dir = dirs.volumeDir('u1', 'secret', 'creds');
    expect(await mountPointsUnder(dirs.podDir('u1'))).to.have.members([dir, dirs.volumeDir('u1', 'empty-dir', 'cache')]);
    expect(await readFile(join(dir, 'password'), 'utf8')).to.equal('one');
    expect((await stat(join(dir, 'password'))).mode & 0o777).to.equal(0o400);
    const mounts = await volumes.mountsFor(pod, { name: 'main', image: 'busybox', volumeMounts: [{ name: 'creds', mountPath: '/creds' }, { name: 'cache', mountPath: '/cache' }] });
    expect(mounts).to.deep.equal([
      { hostPath: dir, containerPath: '/creds', readOnly: true, recursiveReadOnly: true },
      { hostPath: dirs.volumeDir('u1', 'empty-dir', 'cache'), containerPath: '/cache' },
    ]);

    let heard = 0;
    const stop = volumes.watch(() => pod, () => heard++);
    config.setSecret('shop', 'creds', { password: 'two' });
    config.setSecret('shop', 'other', { x: 'y' });
    await eventually(() => expect(heard).to.equal(1), 2_000, 20);
    stop();
    const before = await readlink(join(dir, DATA_DIR));
    await volumes.setUp(pod, FACTS);
    expect(await readFile(join(dir, 'password'), 'utf8')).to.equal('two');
    expect(await readlink(join(dir, DATA_DIR))).to.not.equal(before);

    await volumes.tearDown('u1');
    expect(await mountPointsUnder(root)).to.deep.equal([]);
    expect(await stat(dirs.podDir('u1')).catch(() => undefined)).to.equal(undefined);
  });

  it('a missing ConfigMap makes the containers wait with CreateContainerConfigError and one FailedMount event, until it exists', async () => {
    const pod = podWith('u2', { volumes: [{ name: 'cfg', configMap: { name: 'settings' } }] });
    const state = new PodVolumeState(volumes, reporter);
    const records: ContainerRecord[] = [newRecord('main')];
    expect(await state.prepare(pod, FACTS, records, false)).to.equal(false);
    expect(await state.prepare(pod, FACTS, records, false)).to.equal(false);
    expect(records[0]?.waiting).to.deep.equal({ reason: 'CreateContainerConfigError', message: 'configmap "settings" not found' });
    expect(events).to.deep.equal(['Warning FailedMount MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found']);

    config.setConfigMap('shop', 'settings', { level: 'debug' });
    expect(await state.prepare(pod, FACTS, records, false)).to.equal(true);
    expect(records[0]?.waiting).to.equal(undefined);
    expect(await readFile(join(dirs.volumeDir('u2', 'configmap', 'cfg'), 'level'), 'utf8')).to.equal('debug');

    // Deleted later: the running pod keeps the files it has, with a warning.
    config.deleteConfigMap('shop', 'settings');
    expect(await state.prepare(pod, FACTS, records, true)).to.equal(true);
    expect(await readFile(join(dirs.volumeDir('u2', 'configmap', 'cfg'), 'level'), 'utf8')).to.equal('debug');
    expect(events).to.have.length(2);
  });

  it('a subPath mount of a configMap pins the file as it was: later updates do not reach it', async () => {
    config.setConfigMap('shop', 'settings', { level: 'debug' });
    const pod = podWith('u3', { volumes: [{ name: 'cfg', configMap: { name: 'settings' } }] });
    await volumes.setUp(pod, FACTS);
    const mounts = await volumes.mountsFor(pod, { name: 'main', image: 'busybox', volumeMounts: [{ name: 'cfg', mountPath: '/etc/level', subPath: 'level' }] });
    // The source is a bind of the file as it was when checked, under the pod's own directory.
    const source = mounts[0]?.hostPath ?? '';
    expect(source).to.equal(join(dirs.podDir('u3'), 'volume-subpaths', 'cfg', 'main', '0'));
    expect(await readFile(source, 'utf8')).to.equal('debug');
    config.setConfigMap('shop', 'settings', { level: 'info' });
    await volumes.setUp(pod, FACTS);
    expect(await readFile(join(dirs.volumeDir('u3', 'configmap', 'cfg'), 'level'), 'utf8')).to.equal('info');
    expect(await readFile(source, 'utf8')).to.equal('debug');
    // A restarted container gets the same.
    expect(await volumes.mountsFor(pod, { name: 'main', image: 'busybox', volumeMounts: [{ name: 'cfg', mountPath: '/etc/level', subPath: 'level' }] })).to.deep.equal(mounts);
    await volumes.tearDown('u3');
    expect(await mountPointsUnder(root)).to.deep.equal([]);
  });

  it('a subPath through a symlink out of the volume is refused, and nothing is bound', async () => {
    const pod = podWith('u5', { volumes: [{ name: 'data', emptyDir: {} }] });
    await volumes.setUp(pod, FACTS);
    await symlink('/etc', join(dirs.volumeDir('u5', 'empty-dir', 'data'), 'evil'));
    let error: unknown;
    await volumes.mountsFor(pod, { name: 'main', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/x', subPath: 'evil' }] }).catch((err: unknown) => (error = err));
    expect(error).to.be.instanceOf(ContainerConfigError);
    expect(String(error)).to.match(/failed to prepare subPath for volumeMount "data" of container "main": subPath "evil" leaves the volume/);
    expect(await mountPointsUnder(root)).to.deep.equal([]);
  });

  it('a disk emptyDir over its sizeLimit evicts the pod with Kubernetes\' message', async () => {
    const pod = podWith('u4', { volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '64Ki' } }] });
    const state = new PodVolumeState(volumes, reporter);
    await state.prepare(pod, FACTS, [], false);
    expect(await state.checkUsage(pod)).to.equal(false);
    await writeFile(join(dirs.volumeDir('u4', 'empty-dir', 'scratch'), 'big'), Buffer.alloc(128 * 1024, 1));
    expect(await state.checkUsage(pod)).to.equal(true);
    expect(state.evicted).to.equal('Usage of EmptyDir volume "scratch" exceeds the limit "64Ki". ');
    expect(events).to.deep.equal(['Warning Evicted Usage of EmptyDir volume "scratch" exceeds the limit "64Ki". ']);
  });

  it('at agent start, the volumes of pods no longer on the node are removed, mounts first', async () => {
    config.setSecret('shop', 'creds', { password: 'x' });
    await volumes.setUp(podWith('gone', { volumes: [{ name: 's', secret: { secretName: 'creds' } }] }), FACTS);
    await volumes.setUp(podWith('kept', { volumes: [{ name: 'e', emptyDir: {} }] }), FACTS);
    expect(await volumes.removeOthers(new Set(['kept']))).to.deep.equal(['gone']);
    expect(await mountPointsUnder(root)).to.deep.equal([]);
    expect((await stat(dirs.podDir('kept'))).isDirectory()).to.equal(true);
    expect(await stat(dirs.podDir('gone')).catch(() => undefined)).to.equal(undefined);
  });
});
