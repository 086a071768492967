import { expect } from 'chai';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable, readFileInRoot } from '../../../node-agent/runtime/root-path.js';

describe('runtime/root-path', () => {
  let base: string;
  let root: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'berth-rt-rootpath-'));
    root = join(base, 'rootfs');
    await mkdir(join(root, 'etc'), { recursive: true });
    await mkdir(join(root, 'bin'));
    await mkdir(join(root, 'usr/bin'), { recursive: true });
    await writeFile(join(base, 'host-secret'), 'host data');
    await writeFile(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
    await writeFile(join(root, 'bin/busybox'), '#!/bin/sh\n');
    await chmod(join(root, 'bin/busybox'), 0o755);
    await writeFile(join(root, 'bin/notexec'), 'x');
    await symlink('busybox', join(root, 'bin/sh'));
    await symlink('/bin/busybox', join(root, 'usr/bin/env'));
    await symlink('../../../host-secret', join(root, 'etc/escape-relative'));
    await symlink(join(base, 'host-secret'), join(root, 'etc/escape-absolute'));
    await symlink('loop', join(root, 'etc/loop'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('reads files through symlinks resolved with the rootfs as /', async () => {
    await symlink('/etc/passwd', join(root, 'etc/passwd-link'));
    expect(await readFileInRoot(root, '/etc/passwd-link')).to.match(/^root:/);
    expect(await readFileInRoot(root, '/../../etc/passwd')).to.match(/^root:/);
    expect(await readFileInRoot(root, '/etc/missing')).to.equal(undefined);
    expect(await readFileInRoot(root, '/etc')).to.equal(undefined);
  });

  it('never leaves the rootfs through a symlink', async () => {
    expect(await readFileInRoot(root, '/etc/escape-relative')).to.equal(undefined);
    expect(await readFileInRoot(root, '/etc/escape-absolute')).to.equal(undefined);
  });

  it('fails on a symlink loop', async () => {
    let error: unknown;
    try {
      await readFileInRoot(root, '/etc/loop');
    } catch (err) {
      error = err;
    }
    expect(error).to.have.property('code', 'ELOOP');
  });

  it('finds executables like execvp inside the container', async () => {
    expect(await findExecutable(root, 'sh', '/usr/local/bin:/bin', '/')).to.equal('/bin/sh');
    expect(await findExecutable(root, 'env', '/bin:/usr/bin', '/')).to.equal('/usr/bin/env');
    expect(await findExecutable(root, '/bin/busybox', '', '/')).to.equal('/bin/busybox');
    expect(await findExecutable(root, './busybox', '', '/bin')).to.equal('/bin/busybox');
    expect(await findExecutable(root, 'notexec', '/bin', '/')).to.equal(undefined);
    expect(await findExecutable(root, 'nope', '/bin:/usr/bin', '/')).to.equal(undefined);
    expect(await findExecutable(root, 'bin', '/', '/')).to.equal(undefined);
  });
});
