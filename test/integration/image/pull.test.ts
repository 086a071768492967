import { expect } from 'chai';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ImageNotFoundError, ImageStore, RegistryUnreachableError, type PullProgress } from '../../../node-agent/image/index.js';
import * as native from '../../../node-agent/native/index.js';
import { buildBusyboxImage, WHITEOUT_LAYER, type BuiltImage } from '../../support/image-build.js';
import { startCountingProxy, type CountingProxy } from '../../support/registry-proxy.js';
import { freePort, startRegistry, type TestRegistry } from '../../support/registry-server.js';

const run = promisify(execFile);

describe('ImageStore pulls from a real registry', function () {
  this.timeout(60_000);
  let registry: TestRegistry | undefined;
  let proxy: CountingProxy | undefined;
  let dir: string;
  let base: BuiltImage;
  let app: BuiltImage;
  const mounts: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-image-pull-'));
    registry = await startRegistry();
    base = await buildBusyboxImage(registry.address, 'berth/busybox', 'v1');
    app = await buildBusyboxImage(registry.address, 'berth/app', 'v1', WHITEOUT_LAYER);
    proxy = await startCountingProxy(registry.address);
  });

  after(async () => {
    for (const m of mounts.reverse()) await native.umount2Async(m, native.MNT_DETACH).catch(() => undefined); // already unmounted
    await proxy?.stop();
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const newStore = async (name: string, extra: Partial<ConstructorParameters<typeof ImageStore>[0]> = {}): Promise<ImageStore> => {
    const root = join(dir, name);
    await mkdir(root);
    return new ImageStore({ root, insecureRegistries: [registry!.address, proxy!.address], ...extra });
  };

  it('pulls the busybox image: config, and a layer with binaries, symlinks, modes and mtimes', async () => {
    const store = await newStore('basic');
    const events: PullProgress[] = [];
    const img = await store.pull(`${registry!.address}/berth/busybox:v1`, { onProgress: (e) => events.push(e) });
    expect(img.reference).to.equal(`${registry!.address}/berth/busybox:v1`);
    expect(img.digest).to.equal(base.digest);
    expect(img.config.config?.Cmd).to.deep.equal(['/bin/sh']);
    expect(img.config.rootfs.diff_ids).to.deep.equal(base.layers.map((l) => l.diffId));
    expect(img.layerDirs).to.have.length(1);
    const root = img.layerDirs[0]!;
    expect((await readFile(join(root, 'bin/busybox'))).equals(await readFile('/bin/busybox'))).to.equal(true);
    expect((await stat(join(root, 'bin/busybox'))).mode & 0o7777).to.equal(0o755);
    expect(await readlink(join(root, 'bin/sh'))).to.equal('/bin/busybox');
    expect(await readFile(join(root, 'etc/passwd'), 'utf8')).to.contain('nobody:x:65534:65534');
    const tmp = await stat(join(root, 'tmp'));
    expect(tmp.mode & 0o7777).to.equal(0o1777);
    expect(tmp.mtimeMs).to.equal(1704067200_000);
    expect(events.some((e) => e.kind === 'download-done')).to.equal(true);
    expect(await store.get('127.0.0.1:1/not/pulled')).to.equal(undefined);
    expect((await store.get(`${registry!.address}/berth/busybox:v1`))?.layerDirs).to.deep.equal(img.layerDirs);
  });

  it('shares the base layer: the second image downloads only the layer it lacks', async () => {
    const store = await newStore('shared');
    const viaProxy = (r: string): string => `${proxy!.address}/berth/${r}:v1`;
    const first = await store.pull(viaProxy('busybox'));
    proxy!.requests.length = 0;
    const second = await store.pull(viaProxy('app'));
    const gets = proxy!.blobGets();
    expect(gets).to.not.include(base.layers[0]!.digest);
    expect(gets).to.include(app.layers[1]!.digest);
    expect(gets).to.have.length(2); // the new layer and the new config
    expect(second.layerDirs[0]).to.equal(first.layerDirs[0]);
    expect(second.layerDirs).to.have.length(2);
  });

  it('serves concurrent pulls of images sharing a layer with one download of each blob', async () => {
    const store = await newStore('concurrent');
    proxy!.requests.length = 0;
    const [a, b] = await Promise.all([store.pull(`${proxy!.address}/berth/app:v1`), store.pull(`${proxy!.address}/berth/busybox:v1`)]);
    expect(a.layerDirs[0]).to.equal(b.layerDirs[0]);
    expect(await readFile(join(a.layerDirs[0]!, 'etc/passwd'), 'utf8')).to.contain('root:x:0:0');
    const gets = proxy!.blobGets();
    expect(gets).to.have.length(new Set(gets).size);
    expect(gets.filter((d) => d === base.layers[0]!.digest)).to.have.length(1);
    expect(await readdir(join(dir, 'concurrent/layers/tmp'))).to.deep.equal([]);
  });

  it('turns whiteouts into overlay whiteouts and opaque directories, and overlayfs honours them', async () => {
    const store = await newStore('whiteout');
    const img = await store.pull(`${registry!.address}/berth/app:v1`);
    const top = img.layerDirs[1]!;
    const wh = await lstat(join(top, 'etc/group'));
    expect(wh.isCharacterDevice()).to.equal(true);
    expect(wh.rdev).to.equal(0);
    expect(native.lgetxattr(join(top, 'usr/share/doc'), 'trusted.overlay.opaque').toString()).to.equal('y');
    expect(() => native.lgetxattr(join(top, 'home'), 'trusted.overlay.opaque')).to.throw(/ENODATA/);
    const app = await stat(join(top, 'home/app'));
    expect([app.uid, app.gid, app.mode & 0o7777]).to.deep.equal([65534, 65534, 0o750]);
    expect((await stat(join(top, 'etc/motd'))).mode & 0o7777).to.equal(0o640);

    const merged = join(dir, 'merged');
    const upper = join(dir, 'upper');
    const work = join(dir, 'work');
    await Promise.all([mkdir(merged), mkdir(upper), mkdir(work)]);
    const lower = [...img.layerDirs].reverse().join(':');
    native.mount('overlay', merged, 'overlay', 0, `lowerdir=${lower},upperdir=${upper},workdir=${work}`);
    mounts.push(merged);
    expect(await readdir(join(merged, 'etc'))).to.include.members(['passwd', 'motd']).and.not.include('group');
    expect(await readdir(join(merged, 'usr/share/doc'))).to.deep.equal(['app']);
    expect(await readdir(join(img.layerDirs[0]!, 'usr/share/doc'))).to.deep.equal(['busybox']);
    expect(await readFile(join(merged, 'home/app/hello'), 'utf8')).to.contain('echo hello');
    // The unpacked image runs: busybox's sh through the /bin/sh symlink, and the new layer's script.
    const { stdout } = await run('chroot', [merged, '/bin/sh', '-c', '/home/app/hello; cat /etc/motd'], { timeout: 10_000 });
    expect(stdout).to.equal('hello\nhello from the second layer\n');
    await native.umount2Async(merged);
    mounts.pop();
  });

  it('pulls Docker v2 manifests, multi-platform indexes and uncompressed layers', async () => {
    const docker = await buildBusyboxImage(registry!.address, 'berth/docker', 'v1', undefined, { format: 'v2s2' });
    const multi = await buildBusyboxImage(registry!.address, 'berth/multi', 'v1', undefined, { multiPlatform: true });
    const store = await newStore('formats');
    const d = await store.pull(docker.reference);
    expect(d.digest).to.equal(docker.digest);
    const m = await store.pull(multi.reference);
    expect(m.digest).to.equal(multi.digest);
    expect(m.digest).to.not.equal(multi.manifestDigest);
    expect(m.layerDirs).to.deep.equal(d.layerDirs); // same base layer, unpacked once
    const byDigest = await store.pull(`${registry!.address}/berth/multi@${multi.digest}`);
    expect(byDigest.layerDirs).to.deep.equal(m.layerDirs);
    const plain = await buildBusyboxImage(registry!.address, 'berth/plain', 'v1', [{ name: 'plain', content: 'tar' }], { uncompressed: true });
    const p = await store.pull(plain.reference);
    expect(await readFile(join(p.layerDirs[1]!, 'plain'), 'utf8')).to.equal('tar');
  });

  it('reports a missing image with the registry message', async () => {
    const store = await newStore('missing');
    let err: unknown;
    try {
      await store.pull(`${registry!.address}/berth/busybox:nope`);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ImageNotFoundError);
    expect((err as Error).message).to.match(/MANIFEST_UNKNOWN|manifest unknown/);
  });

  it('falls back from a dead mirror to the next mirror, and reports an unreachable registry', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const store = await newStore('mirror', {
      mirrors: { [registry!.address]: [`http://${dead}`, `http://${proxy!.address}`] },
    });
    proxy!.requests.length = 0;
    const img = await store.pull(`${registry!.address}/berth/busybox:v1`);
    expect(img.digest).to.equal(base.digest);
    expect(proxy!.requests.some((p) => p.includes('/manifests/v1'))).to.equal(true);

    const offline = await newStore('offline', { insecureRegistries: [dead] });
    let err: unknown;
    try {
      await offline.pull(`${dead}/berth/busybox:v1`);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(RegistryUnreachableError);
    expect((err as Error).message).to.contain('ECONNREFUSED');
  });

  it('removes images and collects only content no image uses', async () => {
    const store = await newStore('gc');
    const b = await store.pull(`${registry!.address}/berth/busybox:v1`);
    const a = await store.pull(`${registry!.address}/berth/app:v1`);
    expect((await store.list()).map((i) => i.reference)).to.deep.equal([a.reference, b.reference]);
    expect(await store.gc()).to.deep.equal({ removedBlobs: 0, removedLayers: 0 });
    await store.remove(b.reference);
    expect(await store.get(b.reference)).to.equal(undefined);
    // busybox's manifest and config go; its layer stays, app uses it.
    expect(await store.gc()).to.deep.equal({ removedBlobs: 2, removedLayers: 0 });
    expect((await stat(a.layerDirs[0]!)).isDirectory()).to.equal(true);
    await store.remove(a.reference);
    await store.remove(a.reference); // absent: not an error
    expect(await store.gc()).to.deep.equal({ removedBlobs: 4, removedLayers: 2 });
    expect(await store.list()).to.deep.equal([]);
  });
});
