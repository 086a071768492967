import { expect } from 'chai';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { ImageError, ImageStore } from '../../../node-agent/image/index.js';
import { decodeLayer } from '../../../node-agent/image/layer-decode.js';
import { LayerLimitError } from '../../../node-agent/image/layer-limits.js';
import { buildBusyboxImage, type BuiltImage } from '../../support/image-build.js';
import { buildTar, type TarSpec } from '../../support/image-tar.js';
import { startRegistry, type TestRegistry } from '../../support/registry-server.js';

const MiB = 1024 * 1024;
// The busybox base layer unpacks to about 2 MiB in some 290 entries: these limits let it through.
const limits = { maxBytes: 16 * MiB, maxEntries: 1000 };
// 64 MiB of zeros: a gzip blob of some 64 KiB.
const GZIP_BOMB: TarSpec[] = [{ name: 'zeros', content: Buffer.alloc(64 * MiB) }];
const MANY_ENTRIES: TarSpec[] = Array.from({ length: 1500 }, (_, i) => ({ name: `f${i}`, content: '' }));

describe('layer limits: a decompression bomb or a layer of too many entries fails its pull and leaves nothing', function () {
  this.timeout(120_000);
  let registry: TestRegistry | undefined;
  let dir: string;
  let base: BuiltImage;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-layer-limits-'));
    registry = await startRegistry();
    base = await buildBusyboxImage(registry.address, 'berth/base', 'v1');
  });
  after(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function failedPull(name: string, extra: TarSpec[]): Promise<{ error: Error; root: string; image: BuiltImage }> {
    const image = await buildBusyboxImage(registry!.address, `berth/${name}`, 'v1', extra);
    const root = join(dir, name);
    await mkdir(root);
    const store = new ImageStore({ root, insecureRegistries: [registry!.address], layerLimits: limits });
    // The base layer first, so that the pull below unpacks only the hostile layer.
    await store.pull(base.reference);
    await store.remove(base.reference);
    let error: unknown;
    try {
      await store.pull(image.reference);
    } catch (e) {
      error = e;
    }
    expect(error, 'the pull succeeded').to.be.instanceOf(ImageError);
    expect(await store.list()).to.deep.equal([]);
    return { error: error as Error, root, image };
  }

  // Only the base layer, pulled before, is there: no hostile layer, no leftovers of one.
  async function expectOnlyBaseLayer(root: string, image: BuiltImage): Promise<void> {
    const hex = (d: string | undefined) => (d ?? '').replace('sha256:', '');
    expect(await readdir(join(root, 'layers', 'sha256'))).to.deep.equal([hex(image.layers[0]?.diffId)]);
    expect(await readdir(join(root, 'layers', 'tmp'))).to.deep.equal([]);
  }

  it('a gzip bomb: the pull fails naming the limit and its flag', async () => {
    const { error, root, image } = await failedPull('gzip-bomb', GZIP_BOMB);
    expect(error.message).to.contain(`layer ${image.layers[1]?.digest} of ${image.reference}: cannot unpack:`);
    expect(error.message).to.contain(`the layer unpacks to more than ${16 * MiB} uncompressed bytes, the most this node accepts (--layer-max-bytes)`);
    await expectOnlyBaseLayer(root, image);
  });

  it('a layer of more entries than allowed: the pull fails naming the limit and its flag', async () => {
    const { error, root, image } = await failedPull('many-entries', MANY_ENTRIES);
    expect(error.message).to.contain('the layer unpacks to more than 1000 entries, the most this node accepts (--layer-max-entries)');
    await expectOnlyBaseLayer(root, image);
  });

  it('stops reading a bomb soon after the limit, not at its end', async () => {
    // A tiny tar, then 16 gzip members of 64 MiB of zeros each: 1 GiB, counted after the tar's end too.
    const member = gzipSync(Buffer.alloc(64 * MiB));
    let served = 0;
    async function* bomb(): AsyncGenerator<Uint8Array> {
      yield gzipSync(buildTar([{ name: 'a', content: 'x' }]));
      for (let i = 0; i < 16; i++) {
        served++;
        yield member;
      }
    }
    const out = join(dir, 'direct');
    await mkdir(out);
    let error: unknown;
    try {
      await decodeLayer(bomb(), 'gzip', out, 'test layer', { maxBytes: 8 * MiB, maxEntries: 10 });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(LayerLimitError);
    expect(served).to.be.below(4);
  });
});
