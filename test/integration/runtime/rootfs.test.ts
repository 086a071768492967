import { expect } from 'chai';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostMounter, mountPointsUnder } from '../../../node-agent/runtime/mounter.js';
import { overlayData, Rootfs } from '../../../node-agent/runtime/rootfs.js';

describe('runtime/Rootfs (overlayfs, as root)', function () {
  let base: string;
  const mounter = new HostMounter();

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'berth-rt-rootfs-'));
  });
  afterEach(async () => {
    // Also on failure: nothing mounted may stay behind.
    for (const point of await mountPointsUnder(base)) await mounter.unmount(point, true);
    await rm(base, { recursive: true, force: true });
  });

  /** The overlay options the kernel shows for the mount at `target`. */
  async function superOptions(target: string): Promise<string> {
    const line = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === target);
    return line?.split(' - ')[1]?.split(' ')[2] ?? '';
  }

  async function layer(name: string, files: Record<string, string>): Promise<string> {
    const dir = join(base, name);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    return dir;
  }

  it('stacks the layers base first, upper layers winning, and writes go to the container\'s upper dir', async () => {
    const lower = await layer('base', { 'etc/os': 'base', 'etc/only-base': 'b' });
    const upper = await layer('top', { 'etc/os': 'top' });
    await chmod(upper, 0o755);
    const containerDir = join(base, 'c1');
    await mkdir(containerDir);
    const rootfs = new Rootfs(containerDir, mounter);
    await rootfs.mount([lower, upper]);
    expect(await rootfs.isMounted()).to.equal(true);
    // `/` looks as the image says (here 0755), not like the private upper dir, or non-root users could not reach /bin.
    expect((await stat(rootfs.target)).mode & 0o7777).to.equal(0o755);
    expect(await readFile(join(rootfs.target, 'etc/os'), 'utf8')).to.equal('top');
    // Two short layer paths fit in one mount(2) call: no links are made.
    expect(await superOptions(rootfs.target)).to.contain(`lowerdir=${upper}:${lower},`);
    expect(await readdir(containerDir)).to.have.members(['upper', 'work', 'rootfs']);
    expect(await readFile(join(rootfs.target, 'etc/only-base'), 'utf8')).to.equal('b');
    await writeFile(join(rootfs.target, 'etc/os'), 'written');
    expect(await readFile(join(containerDir, 'upper/etc/os'), 'utf8')).to.equal('written');
    expect(await readFile(join(upper, 'etc/os'), 'utf8')).to.equal('top');

    await rootfs.unmountAndRemove();
    expect(await mountPointsUnder(base)).to.deep.equal([]);
    expect(await readdir(containerDir)).to.deep.equal([]);
    await rootfs.unmountAndRemove(); // idempotent
  });

  it('mounts images whose layer paths together are far longer than a page', async () => {
    // 120 layers at ~200 bytes a path: ~24 KB of absolute lowerdirs.
    const deep = join(base, 'content-store-with-a-long-name'.repeat(4), 'sha256');
    const layers: string[] = [];
    for (let i = 0; i < 120; i++) {
      const dir = join(deep, `${String(i).padStart(3, '0')}${'f'.repeat(60)}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'which'), String(i));
      await writeFile(join(dir, `only-${i}`), '');
      layers.push(dir);
    }
    expect(layers.join(':').length).to.be.greaterThan(4096);
    const containerDir = join(base, 'c2');
    await mkdir(containerDir);
    const rootfs = new Rootfs(containerDir, mounter);
    await rootfs.mount(layers);
    expect(await readFile(join(rootfs.target, 'which'), 'utf8')).to.equal('119');
    expect(await superOptions(rootfs.target)).to.contain('lowerdir=119:118:');
    expect(await readdir(rootfs.target)).to.include.members(['only-0', 'only-119']);
    await rootfs.unmountAndRemove();
    expect(await mountPointsUnder(base)).to.deep.equal([]);
  });

  it('mounts through short links when the layer paths do not fit in a page, or hold a separator', async () => {
    // 30 layers at ~170 bytes a path: ~5 KB of absolute lowerdirs, but ~1.5 KB of links.
    const deep = join(base, 'store'.repeat(20));
    const layers: string[] = [];
    for (let i = 0; i < 30; i++) layers.push(await layer(join('store'.repeat(20), `${String(i).padStart(2, '0')}${'e'.repeat(60)}`), { which: String(i) }));
    expect(layers.join(':').length).to.be.greaterThan(4096);
    const containerDir = join(base, 'c4');
    await mkdir(containerDir);
    const rootfs = new Rootfs(containerDir, mounter);
    await rootfs.mount(layers);
    expect(await superOptions(rootfs.target)).to.contain(`lowerdir=${containerDir}/l/29:${containerDir}/l/28:`);
    expect(await readFile(join(rootfs.target, 'which'), 'utf8')).to.equal('29');
    await rootfs.unmountAndRemove();
    expect(deep.length).to.be.greaterThan(100);

    const odd = await layer('with:colon', { which: 'odd' });
    const containerDir2 = join(base, 'c5');
    await mkdir(containerDir2);
    const rootfs2 = new Rootfs(containerDir2, mounter);
    await rootfs2.mount([odd]);
    expect(await superOptions(rootfs2.target)).to.contain(`lowerdir=${containerDir2}/l/0,`);
    expect(await readFile(join(rootfs2.target, 'which'), 'utf8')).to.equal('odd');
    await rootfs2.unmountAndRemove();
    expect(await readdir(containerDir2)).to.deep.equal([]);
  });

  it('removes what it made when the mount fails', async () => {
    const containerDir = join(base, 'c3');
    await mkdir(containerDir);
    const rootfs = new Rootfs(containerDir, mounter);
    let error: unknown;
    try {
      // A file where a layer directory should be: overlay refuses it.
      await writeFile(join(base, 'not-a-dir'), '');
      await rootfs.mount([join(base, 'not-a-dir')]);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(Error);
    expect(error).to.have.property('syscall', 'mount'); // the errno differs between kernel versions
    expect(await readdir(containerDir)).to.deep.equal([]);
    expect(await mountPointsUnder(base)).to.deep.equal([]);
  });

  it('lists lowerdirs topmost first, as absolute links or relative to the link dir', () => {
    expect(overlayData(3, '/var/lib/berth/containers/c/l')).to.equal(
      'lowerdir=/var/lib/berth/containers/c/l/2:/var/lib/berth/containers/c/l/1:/var/lib/berth/containers/c/l/0,' +
        'upperdir=/var/lib/berth/containers/c/upper,workdir=/var/lib/berth/containers/c/work',
    );
    expect(overlayData(3)).to.equal('lowerdir=2:1:0,upperdir=../upper,workdir=../work');
  });
});
