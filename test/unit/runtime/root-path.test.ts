import { expect } from 'chai';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { UnsafeImageFileError } from '../../../node-agent/runtime/errors.js';
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

  async function refusal(path: string, maxBytes?: number): Promise<UnsafeImageFileError> {
    try {
      await readFileInRoot(root, path, maxBytes);
    } catch (err) {
      if (err instanceof UnsafeImageFileError) return err;
      throw err;
    }
    throw new Error(`${path} was read`);
  }

  it('refuses a FIFO at once instead of waiting for a writer, and the event loop keeps running', async () => {
    execFileSync('mkfifo', [join(root, 'etc/fifo-passwd')]);
    await symlink('fifo-passwd', join(root, 'etc/fifo-link'));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const err = await refusal('/etc/fifo-passwd');
      expect(err.message).to.equal("the image's /etc/fifo-passwd is a FIFO, not a regular file; the agent reads it only as a regular file: fix the image");
      expect((await refusal('/etc/fifo-link')).message).to.contain('is a FIFO');
      // A setTimeout still fires while the refusals happened: nothing sat on the loop.
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(ticks).to.be.greaterThan(0);
    } finally {
      clearInterval(timer);
    }
  });

  it('refuses a device node, and a file larger than the cap; reads one exactly at the cap', async () => {
    execFileSync('mknod', [join(root, 'etc/null-group'), 'c', '1', '3']);
    expect((await refusal('/etc/null-group')).message).to.contain('is a character device, not a regular file');
    await writeFile(join(root, 'etc/big'), 'x'.repeat(101));
    expect((await refusal('/etc/big', 100)).message).to.contain('is 101 bytes, more than the 100 bytes the agent reads');
    await writeFile(join(root, 'etc/exact'), 'y'.repeat(100));
    expect(await readFileInRoot(root, '/etc/exact', 100)).to.equal('y'.repeat(100));
    expect(await readFileInRoot(root, '/etc/passwd', 100)).to.equal('root:x:0:0::/root:/bin/sh\n');
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
