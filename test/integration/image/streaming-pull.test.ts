/**
 * Layers are unpacked while they download (node-agent/image/layer-fetch.ts) on worker threads
 * (unpack-workers.ts). These tests cover what that must never change: a layer is committed
 * only when both its blob digest and its diff_id hold, and a failed pull leaves nothing.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { sha256Digest } from '../../../node-agent/image/digest.js';
import { DigestMismatchError, ImageError, ImageStore } from '../../../node-agent/image/index.js';
import { LayerStore } from '../../../node-agent/image/layer-store.js';
import { unpackWorkers } from '../../../node-agent/image/unpack-workers.js';
import { buildTar, gzipTar } from '../../support/image-tar.js';
import { addSimpleImage, startFakeRegistry, type FakeRegistry } from '../../support/registry-fake.js';

async function pullError(store: ImageStore, ref: string): Promise<Error> {
  try {
    await store.pull(ref);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`pull of ${ref} succeeded but should have failed`);
}

const ls = async (root: string, p: string): Promise<string[]> => readdir(join(root, p)).catch(() => []);

describe('ImageStore unpacks layers while they download', function () {
  this.timeout(60_000);
  let fake: FakeRegistry | undefined;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-image-stream-'));
    fake = await startFakeRegistry();
  });
  after(async () => {
    await fake?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('does not keep a layer that unpacked cleanly when its blob fails the digest', async () => {
    const tar = buildTar([{ name: 'etc/', type: 'dir' }, { name: 'etc/motd', content: 'welcome\n' }]);
    const gz = gzipTar(tar);
    const { layerDigest } = addSimpleImage(fake!.content, 'stream/mismatch', 'v1', tar, gz);
    // Same size, same uncompressed content (so unpack and diff_id succeed), other bytes:
    // the gzip header's MTIME field is not part of the content.
    const other = Buffer.from(gz);
    other[4] = (other[4] ?? 0) ^ 0xff;
    fake!.content.blobs.set(layerDigest, other);
    const root = join(dir, 'mismatch');
    const err = await pullError(new ImageStore({ root, insecureRegistries: [fake!.address] }), `${fake!.address}/stream/mismatch:v1`);
    expect(err).to.be.instanceOf(DigestMismatchError);
    expect(err.message).to.contain(layerDigest);
    expect(await ls(root, 'images')).to.deep.equal([]);
    expect(await ls(root, 'blobs/sha256')).to.not.include(layerDigest.slice(7));
    expect(await ls(root, 'layers/sha256')).to.deep.equal([]);
    expect(await ls(root, 'layers/tmp')).to.deep.equal([]);
    expect(await ls(root, 'ingest')).to.deep.equal([]);
  });

  it('pulls a layer far larger than the unpack flow-control window, byte for byte', async () => {
    const big = randomBytes(12 * 1024 * 1024);
    const files = Array.from({ length: 6 }, (_, i) => ({ name: `data/f${i}`, content: big.subarray(i * 2 * 1024 * 1024, (i + 1) * 2 * 1024 * 1024) }));
    const tar = buildTar([{ name: 'data/', type: 'dir' as const }, ...files]);
    addSimpleImage(fake!.content, 'stream/big', 'v1', tar, gzipTar(tar));
    const root = join(dir, 'big');
    const pulled = await new ImageStore({ root, insecureRegistries: [fake!.address] }).pull(`${fake!.address}/stream/big:v1`);
    for (const f of files) expect((await readFile(join(pulled.layerDirs[0]!, f.name))).equals(f.content)).to.equal(true);
    expect(await ls(root, 'layers/tmp')).to.deep.equal([]);
    expect(await ls(root, 'ingest')).to.deep.equal([]);
  });

  it('unpacks a layer whose blob is already stored (after the layer was collected) from the store', async () => {
    const tar = buildTar([{ name: 'hello', content: 'again\n' }]);
    addSimpleImage(fake!.content, 'stream/again', 'v1', tar, gzipTar(tar));
    const root = join(dir, 'again');
    const ref = `${fake!.address}/stream/again:v1`;
    const s = new ImageStore({ root, insecureRegistries: [fake!.address] });
    const first = await s.pull(ref);
    // Drop only the layer directory: the next pull must rebuild it from the stored blob.
    await rm(first.layerDirs[0]!, { recursive: true });
    const before = fake!.requests.length;
    const second = await s.pull(ref);
    expect(await readFile(join(second.layerDirs[0]!, 'hello'), 'utf8')).to.equal('again\n');
    expect(fake!.requests.slice(before).some((r) => r.path.includes('/blobs/'))).to.equal(false);
  });

  it('serves many concurrent pulls of one image with one unpack, none failing', async () => {
    const tar = buildTar(Array.from({ length: 50 }, (_, i) => ({ name: `bin/tool${i}`, type: 'symlink' as const, linkname: 'busybox' })));
    const { layerDigest } = addSimpleImage(fake!.content, 'stream/many', 'v1', tar, gzipTar(tar));
    const root = join(dir, 'many');
    const s = new ImageStore({ root, insecureRegistries: [fake!.address] });
    const before = fake!.requests.length;
    const pulls = await Promise.all(Array.from({ length: 6 }, () => s.pull(`${fake!.address}/stream/many:v1`)));
    expect(new Set(pulls.map((p) => p.layerDirs[0])).size).to.equal(1);
    expect(fake!.requests.slice(before).filter((r) => r.path.endsWith(layerDigest)).length).to.equal(1);
    expect(await ls(root, 'layers/tmp')).to.deep.equal([]);
  });

  it('removes a half-unpacked layer when its download breaks, also when it broke before unpacking began', async () => {
    const files = Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, content: randomBytes(64 * 1024) }));
    const tar = buildTar(files);
    const gz = gzipTar(tar);
    const root = join(dir, 'broken');
    const layers = new LayerStore(root);
    await layers.init();
    const midway = new PassThrough();
    const p = layers.unpack(sha256Digest(tar), 'gzip', midway, 'test layer');
    midway.write(gz.subarray(0, gz.length >> 1));
    setTimeout(() => midway.destroy(new Error('connection reset')), 50);
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(ImageError);
    const early = new PassThrough();
    early.on('error', () => {});
    early.destroy(new Error('connection refused'));
    const err2 = await layers.unpack(sha256Digest(tar), 'gzip', early, 'test layer').then(() => undefined, (e: unknown) => e);
    expect(err2).to.be.instanceOf(ImageError);
    expect(await ls(root, 'layers/tmp')).to.deep.equal([]);
    expect(await ls(root, 'layers/sha256')).to.deep.equal([]);
  });

  it('does not keep a process alive once its pulls are done (unpack workers are idle)', async () => {
    const root = join(dir, 'exits');
    const layerStore = fileURLToPath(new URL('../../../node-agent/image/layer-store.js', import.meta.url));
    const script = `
      import { LayerStore } from ${JSON.stringify(layerStore)};
      import { Readable } from 'node:stream';
      const s = new LayerStore(${JSON.stringify(root)});
      await s.init();
      s.prepareUnpacks(2);
      await new Promise((r) => setTimeout(r, 300)); // let the workers come online
      for (let i = 0; i < 4; i++) await s.unpack('sha256:' + '0'.repeat(64), 'none', Readable.from([Buffer.alloc(1024)]), 'x').catch(() => {});
      console.log('finished');`;
    // execFile's timeout kills a child that hangs, which then fails this test.
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
    expect(stdout.trim()).to.equal('finished');
  });

  it('ends its unpack workers (each a V8 isolate of its own) once no layer came for 10 s', async function () {
    this.timeout(30_000);
    const tar = buildTar([{ name: 'idle', content: 'x' }]);
    addSimpleImage(fake!.content, 'stream/idle', 'v1', tar, gzipTar(tar));
    await new ImageStore({ root: join(dir, 'idle'), insecureRegistries: [fake!.address] }).pull(`${fake!.address}/stream/idle:v1`);
    expect(unpackWorkers.size).to.be.greaterThan(0);
    const deadline = Date.now() + 15_000;
    while (unpackWorkers.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(unpackWorkers.size).to.equal(0);
  });
});
