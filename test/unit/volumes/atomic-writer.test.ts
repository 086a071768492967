import { lstat, mkdtemp, readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DATA_DIR, writeAtomically, type FileContent } from '../../../node-agent/volumes/atomic-writer.js';

const files = (entries: Record<string, string | [string, number]>): Map<string, FileContent> =>
  new Map(Object.entries(entries).map(([path, v]) => [path, typeof v === 'string' ? { data: Buffer.from(v), mode: 0o644 } : { data: Buffer.from(v[0]), mode: v[1] }]));

describe('the atomic writer of configMap, secret and downwardAPI volumes', () => {
  let dir: string;
  beforeEach(async () => (dir = join(await mkdtemp(join(tmpdir(), 'berth-atomic-')), 'vol')));
  afterEach(() => rm(join(dir, '..'), { recursive: true, force: true }));

  it('writes each file behind the ..data symlink, with its mode, nested paths included', async () => {
    expect(await writeAtomically(dir, files({ 'app.conf': 'a=1', 'sub/key': ['secret', 0o400] }))).to.equal(true);
    expect(await readFile(join(dir, 'app.conf'), 'utf8')).to.equal('a=1');
    expect(await readFile(join(dir, 'sub', 'key'), 'utf8')).to.equal('secret');
    expect((await stat(join(dir, 'sub', 'key'))).mode & 0o777).to.equal(0o400);
    expect(await readlink(join(dir, 'app.conf'))).to.equal(join(DATA_DIR, 'app.conf'));
    expect(await readlink(join(dir, DATA_DIR))).to.match(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d{9}$/);
  });

  it('swaps to a new version on a change, removing the old version and vanished keys; an unchanged write touches nothing', async () => {
    await writeAtomically(dir, files({ a: '1', b: '2' }));
    const first = await readlink(join(dir, DATA_DIR));
    expect(await writeAtomically(dir, files({ a: '1', b: '2' }))).to.equal(false);
    expect(await readlink(join(dir, DATA_DIR))).to.equal(first);
    expect(await writeAtomically(dir, files({ a: '10' }))).to.equal(true);
    expect(await readlink(join(dir, DATA_DIR))).to.not.equal(first);
    expect(await readFile(join(dir, 'a'), 'utf8')).to.equal('10');
    expect((await readdir(dir)).sort()).to.deep.equal([DATA_DIR, await readlink(join(dir, DATA_DIR)), 'a'].sort());
  });

  it('gives files the fsGroup and group read, and makes directories setgid', async () => {
    await writeAtomically(dir, files({ 'd/k': ['v', 0o600] }), { gid: 2345 });
    const file = await stat(join(dir, 'd', 'k'));
    expect(file.gid).to.equal(2345);
    expect(file.mode & 0o777).to.equal(0o640);
    const version = join(dir, await readlink(join(dir, DATA_DIR)));
    expect((await lstat(join(version, 'd'))).mode & 0o2000).to.equal(0o2000);
  });

  it('refuses a path that would leave the volume, writing nothing', async () => {
    for (const bad of ['../escape', '/etc/passwd', 'a/../../b', '..data']) {
      let error: unknown;
      await writeAtomically(dir, files({ [bad]: 'x' })).catch((err: unknown) => (error = err));
      expect(String(error)).to.match(/must (not contain '\.\.'|be a relative path|not start with '\.\.')/);
    }
    expect(await readdir(join(dir, '..'))).to.deep.equal([]);
  });
});
