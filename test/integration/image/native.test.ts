import { expect } from 'chai';
import { closeSync, readFileSync, readlinkSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as native from '../../../node-agent/native/index.js';

function thrown(f: () => unknown): native.NativeError {
  try {
    f();
  } catch (e) {
    return e as native.NativeError;
  }
  throw new Error('expected an error');
}

/** The host path of what `relPath` names inside `root`, as resolveInRoot opens it. */
function resolved(root: string, relPath: string): string {
  const fd = native.resolveInRoot(root, relPath);
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } finally {
    closeSync(fd);
  }
}

describe('berth_native addon', () => {
  let dir: string;
  const mounts: string[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-native-'));
  });
  afterEach(async () => {
    for (const m of mounts.splice(0).reverse()) await native.umount2Async(m, native.MNT_DETACH).catch(() => undefined); // already gone
    native.setOpenat2Disabled(false);
    await rm(dir, { recursive: true, force: true });
  });

  it('throws errors carrying code, errno, syscall and the path', () => {
    const e = thrown(() => native.openat(native.AT_FDCWD, join(dir, 'missing'), native.O_RDONLY));
    expect(e).to.be.instanceOf(Error);
    expect(e.code).to.equal('ENOENT');
    expect(e.errno).to.equal(-2);
    expect(e.syscall).to.equal('openat');
    expect(e.path).to.equal(join(dir, 'missing'));
    expect(e.message).to.equal(`ENOENT: No such file or directory, openat '${join(dir, 'missing')}'`);
    expect(() => native.mkdirat(native.AT_FDCWD, 5 as unknown as string)).to.throw(TypeError, /path/);
  });

  for (const mode of ['openat2', 'fallback walk'] as const) {
    it(`resolves paths inside a root, never outside it (${mode})`, async () => {
      native.setOpenat2Disabled(mode === 'fallback walk');
      const root = join(dir, 'root');
      await mkdir(join(root, 'etc'), { recursive: true });
      await writeFile(join(root, 'etc/passwd'), 'inside');
      await writeFile(join(dir, 'passwd'), 'outside');
      await symlink('/etc', join(root, 'abs'));
      await symlink('../../../..', join(root, 'up'));
      await symlink('loop', join(root, 'loop'));
      expect(resolved(root, 'abs/passwd')).to.equal(join(root, 'etc/passwd'));
      expect(resolved(root, 'up/etc/passwd')).to.equal(join(root, 'etc/passwd'));
      // dir/passwd exists on the host, one level above root: ".." stops at the root.
      expect(thrown(() => native.resolveInRoot(root, '../../passwd')).code).to.equal('ENOENT');
      expect(resolved(root, '../etc/../..')).to.equal(root);
      const fd = native.resolveInRoot(root, '/up/../abs/passwd', native.O_RDONLY);
      try {
        expect(readFileSync(fd, 'utf8')).to.equal('inside');
      } finally {
        closeSync(fd);
      }
      expect(thrown(() => native.resolveInRoot(root, 'loop/x')).code).to.equal('ELOOP');
      const nofollow = native.resolveInRoot(root, 'abs', native.O_PATH | native.O_NOFOLLOW);
      closeSync(nofollow);
      expect(thrown(() => native.resolveInRoot(root, 'etc/passwd/x')).code).to.equal('ENOTDIR');
    });
  }

  it('makes overlay whiteouts and opaque markers, and refuses to chmod through a symlink', async () => {
    const d = native.openat(native.AT_FDCWD, dir, native.O_RDONLY | native.O_DIRECTORY);
    try {
      native.mknodat(d, 'gone', native.S_IFCHR, 0, 0);
      const st = native.fstatat(d, 'gone', native.AT_SYMLINK_NOFOLLOW);
      expect(st.mode & native.S_IFMT).to.equal(native.S_IFCHR);
      expect([st.rdevMajor, st.rdevMinor]).to.deep.equal([0, 0]);
      native.mkdirat(d, 'opaque', 0o755);
      const opaque = native.openat(d, 'opaque', native.O_RDONLY | native.O_DIRECTORY);
      try {
        native.fsetxattr(opaque, 'trusted.overlay.opaque', 'y');
      } finally {
        closeSync(opaque);
      }
      expect(native.lgetxattr(join(dir, 'opaque'), 'trusted.overlay.opaque').toString()).to.equal('y');
      expect(thrown(() => native.lgetxattr(join(dir, 'opaque'), 'user.none')).code).to.equal('ENODATA');
      await writeFile(join(dir, 'target'), 'x', { mode: 0o600 });
      native.symlinkat('target', d, 'link');
      expect(thrown(() => native.fchmodat(d, 'link', 0o777, native.AT_SYMLINK_NOFOLLOW)).code).to.equal('EOPNOTSUPP');
      expect((await lstat(join(dir, 'target'))).mode & 0o777).to.equal(0o600);
      native.utimensat(d, 'link', [1000, 0], [2000, 0], native.AT_SYMLINK_NOFOLLOW);
      expect((await lstat(join(dir, 'link'))).mtimeMs).to.equal(2000_000);
      expect((await lstat(join(dir, 'target'))).mtimeMs).to.not.equal(2000_000);
      native.unlinkat(d, 'gone');
      expect(thrown(() => native.fstatat(d, 'gone', native.AT_SYMLINK_NOFOLLOW)).code).to.equal('ENOENT');
    } finally {
      closeSync(d);
    }
  });

  it('mounts and unmounts', async () => {
    const target = join(dir, 'mnt');
    await mkdir(target);
    native.mount('tmpfs', target, 'tmpfs', 0, 'size=1m,mode=0700');
    mounts.push(target);
    await writeFile(join(target, 'f'), 'on tmpfs');
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).to.contain(` ${target} `);
    await native.umount2Async(target);
    mounts.pop();
    expect(await native.umount2Async(target).catch((e: native.NativeError) => e.code)).to.equal('EINVAL');
    expect(await readFile(join(target, 'f')).catch(() => 'gone')).to.equal('gone');
  });
});
