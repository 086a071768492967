import { expect } from 'chai';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LayerUnpackError } from '../../../node-agent/image/errors.js';
import { unpackLayer } from '../../../node-agent/image/layer-unpack.js';
import { readTar } from '../../../node-agent/image/tar-reader.js';
import * as native from '../../../node-agent/native/index.js';
import { buildTar, type TarSpec } from '../../support/image-tar.js';

/** Everything observable about a directory tree: names, types, modes, owners, link counts, contents. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string, rel: string): Promise<void> => {
    const st = await lstat(p);
    let extra = '';
    if (st.isFile()) extra = (await readFile(p)).toString('base64');
    if (st.isSymbolicLink()) extra = await readlink(p);
    out.push(`${rel} ${st.mode.toString(8)} ${st.uid}:${st.gid} n${st.nlink} ${st.mtimeMs} ${extra}`);
    if (st.isDirectory()) for (const n of (await readdir(p)).sort()) await walk(join(p, n), `${rel}/${n}`);
  };
  await walk(dir, '.');
  return out;
}

function iterate(tar: Buffer): AsyncIterator<Uint8Array> {
  let done = false;
  return {
    next: async () => {
      if (done) return { done: true, value: undefined };
      done = true;
      return { done: false, value: tar };
    },
  };
}

for (const mode of ['openat2', 'fallback walk'] as const) {
  describe(`layer unpack against hostile layers (${mode})`, () => {
    let base: string;
    let layer: string;
    let outside: string;
    let original: string[];

    before(() => native.setOpenat2Disabled(mode === 'fallback walk'));
    after(() => native.setOpenat2Disabled(false));

    beforeEach(async () => {
      base = await mkdtemp(join(tmpdir(), 'berth-hostile-'));
      layer = join(base, 'layer');
      outside = join(base, 'outside');
      await mkdir(layer);
      await mkdir(join(outside, 'sub'), { recursive: true });
      await writeFile(join(outside, 'sentinel'), 'original', { mode: 0o600 });
      original = await snapshot(outside);
    });
    afterEach(async () => {
      await rm(base, { recursive: true, force: true });
    });

    /** Unpacks; the layer may be refused, but the host outside the layer must be untouched. */
    async function unpackHostile(entries: TarSpec[]): Promise<LayerUnpackError | undefined> {
      let err: LayerUnpackError | undefined;
      try {
        await unpackLayer(readTar(iterate(buildTar(entries))), layer, 'test-layer');
      } catch (e) {
        if (!(e instanceof LayerUnpackError)) throw e;
        err = e;
      }
      expect(await snapshot(outside)).to.deep.equal(original);
      expect((await readdir(base)).sort()).to.deep.equal(['layer', 'outside']);
      return err;
    }

    it('skips names with ".." components', async () => {
      await unpackHostile([
        { name: '../outside/pwned', content: 'x' },
        { name: 'a/../../outside/sentinel', content: 'x' },
        { name: '../', type: 'dir', mode: 0o777 },
      ]);
    });

    it('places absolute names inside the layer', async () => {
      await unpackHostile([{ name: `${outside}/pwned`, content: 'x' }]);
      expect(await readFile(join(layer, outside, 'pwned'), 'utf8')).to.equal('x');
    });

    it('does not write through an absolute symlink to a host directory', async () => {
      const err = await unpackHostile([
        { name: 'esc', type: 'symlink', linkname: outside },
        { name: 'esc/pwned', content: 'x' },
        { name: 'esc/sentinel', content: 'x' },
      ]);
      expect(err?.message).to.contain('esc/pwned');
    });

    it('does not write through a relative symlink climbing out of the layer', async () => {
      await unpackHostile([
        { name: 'esc', type: 'symlink', linkname: '../outside' },
        { name: 'deep', type: 'symlink', linkname: '../../../../../../../..' + outside },
        { name: 'esc/pwned', content: 'x' },
      ]);
      await unpackHostile([{ name: 'deep/sentinel', content: 'x' }]);
    });

    it('keeps a symlink that climbs out resolving inside the layer', async () => {
      await unpackHostile([
        { name: 'outside/', type: 'dir' },
        { name: 'esc', type: 'symlink', linkname: '../../outside' },
        { name: 'esc/sentinel', content: 'inside' },
      ]);
      expect(await readFile(join(layer, 'outside/sentinel'), 'utf8')).to.equal('inside');
    });

    it('does not write through a symlinked directory inside a directory', async () => {
      await unpackHostile([
        { name: 'd/', type: 'dir' },
        { name: 'd/link', type: 'symlink', linkname: outside },
        { name: 'd/link/sentinel', content: 'pwned', mode: 0o777 },
        { name: 'd/link/sub/', type: 'dir', mode: 0o777 },
      ]);
    });

    it('replaces a directory by a symlink, then refuses to write through it', async () => {
      await unpackHostile([
        { name: 'dir/', type: 'dir' },
        { name: 'dir', type: 'symlink', linkname: outside },
        { name: 'dir/pwned', content: 'x' },
      ]);
    });

    it('replaces a symlink named by a later file instead of writing through it', async () => {
      await unpackHostile([
        { name: 's', type: 'symlink', linkname: join(outside, 'sentinel') },
        { name: 's', content: 'pwned', mode: 0o777, uid: 1234 },
        { name: 'd', type: 'symlink', linkname: outside },
        { name: 'd/', type: 'dir', mode: 0o777 },
      ]);
      expect((await lstat(join(layer, 's'))).isFile()).to.equal(true);
      expect(await readFile(join(layer, 's'), 'utf8')).to.equal('pwned');
      expect((await lstat(join(layer, 'd'))).isDirectory()).to.equal(true);
    });

    it('does not hardlink to files outside the layer', async () => {
      await unpackHostile([{ name: 'h1', type: 'hardlink', linkname: join(outside, 'sentinel') }]);
      await unpackHostile([{ name: 'h2', type: 'hardlink', linkname: '../outside/sentinel' }]);
      await unpackHostile([
        { name: 'esc', type: 'symlink', linkname: outside },
        { name: 'h3', type: 'hardlink', linkname: 'esc/sentinel' },
      ]);
    });

    it('hardlinks a symlink itself, never its target', async () => {
      await unpackHostile([
        { name: 's', type: 'symlink', linkname: join(outside, 'sentinel') },
        { name: 'h', type: 'hardlink', linkname: 's' },
      ]);
      expect(await readlink(join(layer, 'h'))).to.equal(join(outside, 'sentinel'));
    });

    it('does not place whiteouts or opaque markers through a symlink', async () => {
      await unpackHostile([
        { name: 'w', type: 'symlink', linkname: outside },
        { name: 'w/.wh.sentinel' },
      ]);
      await unpackHostile([{ name: 'w/.wh..wh..opq' }]);
      expect(() => native.lgetxattr(outside, 'trusted.overlay.opaque')).to.throw(/ENODATA/);
    });

    it('does not create device nodes', async () => {
      await unpackHostile([
        { name: 'dev/', type: 'dir' },
        { name: 'dev/sda', type: 'blockdev', devmajor: 8, devminor: 0 },
        { name: 'dev/mem', type: 'chardev', devmajor: 1, devminor: 1 },
      ]);
      expect(await readdir(join(layer, 'dev'))).to.deep.equal([]);
    });
  });
}
