import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { prepareHostPath } from '../../../node-agent/volumes/host-path.js';
import type { HostPathType } from '../../../proto/objects/volume.js';

describe('hostPath type checks', () => {
  let base: string;
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'berth-hostpath-'));
    await mkdir(join(base, 'dir'));
    await writeFile(join(base, 'file'), 'x');
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  const failure = async (path: string, type: HostPathType) => {
    let error: unknown;
    await prepareHostPath({ path, type }).catch((err: unknown) => (error = err));
    return error === undefined ? undefined : String((error as Error).message);
  };

  it('accepts what each type asks for', async () => {
    expect(await failure(join(base, 'dir'), 'Directory')).to.equal(undefined);
    expect(await failure(join(base, 'file'), 'File')).to.equal(undefined);
    expect(await failure('/dev/null', 'CharDevice')).to.equal(undefined);
    expect(await failure(join(base, 'missing'), '')).to.equal(undefined);
  });

  it('refuses what is missing or of another type, with the kubelet\'s message', async () => {
    expect(await failure(join(base, 'missing'), 'Directory')).to.equal(`hostPath type check failed: ${join(base, 'missing')} is not a directory`);
    expect(await failure(join(base, 'dir'), 'File')).to.equal(`hostPath type check failed: ${join(base, 'dir')} is not a file`);
    expect(await failure(join(base, 'file'), 'Socket')).to.equal(`hostPath type check failed: ${join(base, 'file')} is not a socket file`);
    expect(await failure(join(base, 'file'), 'CharDevice')).to.equal(`hostPath type check failed: ${join(base, 'file')} is not a character device`);
    expect(await failure('/dev/null', 'BlockDevice')).to.equal('hostPath type check failed: /dev/null is not a block device');
    expect(await failure(join(base, 'file'), 'DirectoryOrCreate')).to.equal(`hostPath type check failed: ${join(base, 'file')} is not a directory`);
  });

  it('accepts a socket for Socket', async () => {
    const path = join(base, 'sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      expect(await failure(path, 'Socket')).to.equal(undefined);
    } finally {
      server.close();
    }
  });

  it('DirectoryOrCreate makes the directory with its parents, FileOrCreate an empty file', async () => {
    expect(await failure(join(base, 'a', 'b'), 'DirectoryOrCreate')).to.equal(undefined);
    expect((await stat(join(base, 'a', 'b'))).isDirectory()).to.equal(true);
    expect(await failure(join(base, 'new-file'), 'FileOrCreate')).to.equal(undefined);
    const made = await stat(join(base, 'new-file'));
    expect([made.isFile(), made.size]).to.deep.equal([true, 0]);
    expect(await failure(join(base, 'no-dir', 'f'), 'FileOrCreate')).to.match(/could not be created/);
    expect(execFileSync('ls', [base], { encoding: 'utf8' })).to.not.contain('no-dir');
  });
});
