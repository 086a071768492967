import { expect } from 'chai';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { unpackLayer } from '../../../node-agent/image/layer-unpack.js';
import { readTar } from '../../../node-agent/image/tar-reader.js';
import * as native from '../../../node-agent/native/index.js';
import { buildTar, type TarSpec } from '../../support/image-tar.js';

describe('layer unpack keeps what the layer says', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-unpack-'));
    await mkdir(join(dir, 'layer'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const unpack = async (entries: TarSpec[]): Promise<Awaited<ReturnType<typeof unpackLayer>>> => {
    const tar = buildTar(entries);
    let sent = false;
    const it: AsyncIterator<Uint8Array> = {
      next: async () => (sent ? { done: true, value: undefined } : ((sent = true), { done: false, value: tar })),
    };
    return unpackLayer(readTar(it), join(dir, 'layer'), 'test');
  };

  it('preserves modes (setuid too), owners, mtimes, symlinks, hardlinks, fifos and xattrs', async () => {
    const result = await unpack([
      { name: './', type: 'dir', mode: 0o755, mtime: 5000 },
      { name: 'usr/', type: 'dir', mode: 0o755, mtime: 1000 },
      { name: 'usr/bin/', type: 'dir', mode: 0o711, uid: 2, gid: 3, mtime: 2000 },
      { name: 'usr/bin/su', content: 'su', mode: 0o4755, uid: 0, gid: 0, mtime: 3000 },
      { name: 'usr/bin/su-again', type: 'hardlink', linkname: 'usr/bin/su' },
      { name: 'usr/bin/sh', type: 'symlink', linkname: 'busybox', uid: 7, gid: 7, mtime: 4000 },
      { name: 'usr/pipe', type: 'fifo', mode: 0o620 },
      { name: 'usr/cap', content: 'c', pax: { 'SCHILY.xattr.user.berth': 'yes' } },
      { name: 'implicit/parent/file', content: 'p' },
      { name: 'dev/null', type: 'chardev', devmajor: 1, devminor: 3 },
    ]);
    const l = join(dir, 'layer');
    const su = await stat(join(l, 'usr/bin/su'));
    expect(su.mode & 0o7777).to.equal(0o4755);
    expect(su.mtimeMs).to.equal(3000_000);
    expect(su.nlink).to.equal(2);
    expect((await stat(join(l, 'usr/bin/su-again'))).ino).to.equal(su.ino);
    const bin = await stat(join(l, 'usr/bin'));
    expect([bin.mode & 0o7777, bin.uid, bin.gid, bin.mtimeMs]).to.deep.equal([0o711, 2, 3, 2000_000]);
    expect((await stat(join(l, 'usr'))).mtimeMs).to.equal(1000_000); // set after its children were created
    expect((await stat(l)).mtimeMs).to.equal(5000_000);
    const sh = await lstat(join(l, 'usr/bin/sh'));
    expect([sh.isSymbolicLink(), sh.uid, sh.mtimeMs]).to.deep.equal([true, 7, 4000_000]);
    expect(await readlink(join(l, 'usr/bin/sh'))).to.equal('busybox');
    const pipe = await lstat(join(l, 'usr/pipe'));
    expect([pipe.isFIFO(), pipe.mode & 0o777]).to.deep.equal([true, 0o620]);
    expect(native.lgetxattr(join(l, 'usr/cap'), 'user.berth').toString()).to.equal('yes');
    expect(await readFile(join(l, 'implicit/parent/file'), 'utf8')).to.equal('p');
    expect(result.skipped.map((s) => s.name)).to.deep.equal(['dev/null']);
    expect(result.skipped[0]?.reason).to.match(/chardev 1:3 not created/);
  });

  it('lets later entries replace earlier ones, as tar does', async () => {
    await unpack([
      { name: 'a/', type: 'dir' },
      { name: 'a/child', content: 'x' },
      { name: 'a', content: 'now a file' },
      { name: 'b', content: 'first' },
      { name: 'b', content: 'second' },
    ]);
    expect(await readFile(join(dir, 'layer/a'), 'utf8')).to.equal('now a file');
    expect(await readFile(join(dir, 'layer/b'), 'utf8')).to.equal('second');
  });

  it('follows a directory that a later entry replaced, for the entries after it', async () => {
    // The unpacker caches directory fds; replacing "a" must not send a/y into the old "a".
    await unpack([
      { name: 'a/', type: 'dir' },
      { name: 'a/x', content: 'old dir' },
      { name: 'b/', type: 'dir' },
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'a/y', content: 'through the symlink' },
      { name: 'c/', type: 'dir' },
      { name: 'c/z', content: 'z1' },
      { name: 'c', content: 'c is a file now' },
      { name: 'c/', type: 'dir' },
      { name: 'c/w', content: 'new c' },
    ]);
    expect(await readFile(join(dir, 'layer/b/y'), 'utf8')).to.equal('through the symlink');
    expect(await readlink(join(dir, 'layer/a'))).to.equal('b');
    expect(await readFile(join(dir, 'layer/c/w'), 'utf8')).to.equal('new c');
    expect(await stat(join(dir, 'layer/c/z')).then(() => true, () => false)).to.equal(false);
  });
});
