import { mkdir, mkdtemp, realpath, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { resolveSubPath } from '../../../node-agent/volumes/safe-path.js';

describe('subPath resolution inside a volume', () => {
  let base: string;
  let volume: string;
  beforeEach(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'berth-subpath-')));
    volume = join(base, 'volume');
    await mkdir(join(volume, 'site', 'public'), { recursive: true });
    await mkdir(join(base, 'outside'));
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  it('resolves a path inside the volume, creating the directories that are missing', async () => {
    expect(await resolveSubPath(volume, 'site/public')).to.equal(join(volume, 'site', 'public'));
    expect(await resolveSubPath(volume, 'new/dir')).to.equal(join(volume, 'new', 'dir'));
    expect((await stat(join(volume, 'new', 'dir'))).isDirectory()).to.equal(true);
  });

  it('follows a symlink that stays inside the volume', async () => {
    await symlink('site/public', join(volume, 'www'));
    expect(await resolveSubPath(volume, 'www')).to.equal(join(volume, 'site', 'public'));
  });

  it('refuses a symlink out of the volume, absolute or relative, and creates nothing outside', async () => {
    await symlink(join(base, 'outside'), join(volume, 'abs'));
    await symlink('../outside', join(volume, 'rel'));
    for (const sub of ['abs', 'rel/x', 'site/../../outside']) {
      let error: unknown;
      await resolveSubPath(volume, sub).catch((err: unknown) => (error = err));
      expect(String(error), sub).to.match(/subPath .* (leaves the volume|must not contain '\.\.')/);
    }
    expect(await stat(join(base, 'outside', 'x')).catch(() => undefined)).to.equal(undefined);
  });

  it('refuses an absolute subPath', async () => {
    let error: unknown;
    await resolveSubPath(volume, '/etc').catch((err: unknown) => (error = err));
    expect(String(error)).to.match(/must be a relative path/);
  });
});
