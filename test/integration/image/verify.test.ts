import { expect } from 'chai';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DigestMismatchError, ImageStore, LayerUnpackError, UnauthorizedError } from '../../../node-agent/image/index.js';
import { buildImage } from '../../support/image-build.js';
import { buildTar, gzipTar } from '../../support/image-tar.js';
import { addSimpleImage, startFakeRegistry, type FakeRegistry } from '../../support/registry-fake.js';
import { startRegistry, type TestRegistry } from '../../support/registry-server.js';

async function pullError(store: ImageStore, ref: string): Promise<Error> {
  try {
    await store.pull(ref);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`pull of ${ref} succeeded but should have failed`);
}

/** Nothing of a failed pull may stay in the store: no image, no blob named by it, no layer, no temp file. */
async function expectNothingStored(root: string, digest: string): Promise<void> {
  const ls = async (p: string): Promise<string[]> => readdir(join(root, p)).catch(() => []);
  expect(await ls('images')).to.deep.equal([]);
  expect(await ls('blobs/sha256')).to.not.include(digest.slice(7));
  expect(await ls('layers/sha256')).to.deep.equal([]);
  expect(await ls('layers/tmp')).to.deep.equal([]);
  expect(await ls('ingest')).to.deep.equal([]);
}

describe('ImageStore verifies every digest', function () {
  this.timeout(30_000);
  let registry: TestRegistry | undefined;
  let fake: FakeRegistry | undefined;
  let dir: string;
  const layerTar = buildTar([{ name: 'hello', content: 'hello world\n' }]);
  const layerGz = gzipTar(layerTar);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-image-verify-'));
    registry = await startRegistry();
    fake = await startFakeRegistry();
  });
  after(async () => {
    await fake?.stop();
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  let n = 0;
  const store = (insecure: string): { s: ImageStore; root: string } => {
    const root = join(dir, `store-${n++}`);
    return { s: new ImageStore({ root, insecureRegistries: [insecure] }), root };
  };

  it('rejects a layer blob tampered with in the registry storage', async () => {
    const built = await buildImage(registry!.address, 'berth/tamper', 'v1', [buildTar([{ name: 'x', content: 'x'.repeat(4096) }])]);
    const digest = built.layers[0]!.digest;
    const data = join(registry!.storageDir, 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data');
    const original = await readFile(data);
    await writeFile(data, Buffer.alloc(original.length, 0x41)); // same size, other bytes
    const { s, root } = store(registry!.address);
    const err = await pullError(s, built.reference);
    expect(err).to.be.instanceOf(DigestMismatchError);
    expect(err.message).to.contain(digest);
    await expectNothingStored(root, digest);
  });

  it('rejects a blob a server sends with the wrong content', async () => {
    const { layerDigest } = addSimpleImage(fake!.content, 'wrong/blob', 'v1', layerTar, layerGz);
    fake!.content.blobs.set(layerDigest, Buffer.from(layerGz).fill(0x42, 20));
    const { s, root } = store(fake!.address);
    const err = await pullError(s, `${fake!.address}/wrong/blob:v1`);
    expect(err).to.be.instanceOf(DigestMismatchError);
    await expectNothingStored(root, layerDigest);
  });

  it('rejects a layer whose uncompressed content does not match the config diff_id', async () => {
    const other = buildTar([{ name: 'hello', content: 'something else\n' }]);
    // The config names `other`'s diff_id while the blob (correct compressed digest) holds layerTar.
    const { layerDigest } = addSimpleImage(fake!.content, 'wrong/diffid', 'v1', other, layerGz);
    const { s, root } = store(fake!.address);
    const err = await pullError(s, `${fake!.address}/wrong/diffid:v1`);
    expect(err).to.be.instanceOf(DigestMismatchError);
    expect(err.message).to.match(/diff_ids/);
    await expectNothingStored(root, 'sha256:none');
    expect(await readdir(join(root, 'blobs/sha256'))).to.include(layerDigest.slice(7)); // the blob itself was fine
  });

  it('falls back to the registry when a mirror serves a corrupt blob', async () => {
    const mirror = await startFakeRegistry();
    try {
      const img = addSimpleImage(fake!.content, 'mirrored/app', 'v1', layerTar, layerGz);
      addSimpleImage(mirror.content, 'mirrored/app', 'v1', layerTar, layerGz);
      mirror.content.blobs.set(img.layerDigest, Buffer.from(layerGz).fill(0x43, 20));
      const root = join(dir, 'mirror-corrupt');
      const s = new ImageStore({ root, mirrors: { [fake!.address]: [`http://${mirror.address}`] }, insecureRegistries: [fake!.address] });
      const pulled = await s.pull(`${fake!.address}/mirrored/app:v1`);
      expect(await readFile(join(pulled.layerDirs[0]!, 'hello'), 'utf8')).to.equal('hello world\n');
      expect(mirror.requests.some((r) => r.path.endsWith(img.layerDigest))).to.equal(true);
      expect(fake!.requests.some((r) => r.path.endsWith(img.layerDigest))).to.equal(true);
    } finally {
      await mirror.stop();
    }
  });

  it('fails the pull of a hostile layer cleanly, touching nothing outside the store', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    const hostile = buildTar([
      { name: 'esc', type: 'symlink', linkname: outside },
      { name: 'esc/pwned', content: 'x' },
    ]);
    addSimpleImage(fake!.content, 'hostile/app', 'v1', hostile, gzipTar(hostile));
    const { s, root } = store(fake!.address);
    const err = await pullError(s, `${fake!.address}/hostile/app:v1`);
    expect(err).to.be.instanceOf(LayerUnpackError);
    expect(err.message).to.contain('esc/pwned');
    expect(await readdir(outside)).to.deep.equal([]);
    await expectNothingStored(root, 'sha256:none');
  });

  it('rejects a manifest that does not hash to the digest it was asked by', async () => {
    const { manifestDigest } = addSimpleImage(fake!.content, 'wrong/manifest', 'v1', layerTar, layerGz);
    const entry = fake!.content.manifests.get(`wrong/manifest@${manifestDigest}`)!;
    fake!.content.manifests.set(`wrong/manifest@${manifestDigest}`, { ...entry, body: Buffer.concat([entry.body, Buffer.from(' ')]) });
    const { s } = store(fake!.address);
    const err = await pullError(s, `${fake!.address}/wrong/manifest@${manifestDigest}`);
    expect(err).to.be.instanceOf(DigestMismatchError);
  });
});

describe('ImageStore registry authentication', function () {
  this.timeout(30_000);
  let fake: FakeRegistry | undefined;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-image-auth-'));
    fake = await startFakeRegistry({ bearerToken: 'tok-123' });
  });
  after(async () => {
    await fake?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('fetches an anonymous bearer token from the WWW-Authenticate realm and uses it', async () => {
    const layerTar = buildTar([{ name: 'a', content: 'a' }]);
    addSimpleImage(fake!.content, 'private/app', 'v1', layerTar, gzipTar(layerTar));
    const s = new ImageStore({ root: join(dir, 'ok'), insecureRegistries: [fake!.address] });
    const img = await s.pull(`${fake!.address}/private/app:v1`);
    expect(await readFile(join(img.layerDirs[0]!, 'a'), 'utf8')).to.equal('a');
    const token = fake!.requests.find((r) => r.path.startsWith('/token'));
    expect(token?.path).to.contain('scope=repository%3Aprivate%2Fapp%3Apull').and.contain('service=fake-registry');
    expect(fake!.requests.filter((r) => r.path.includes('/blobs/')).every((r) => r.authorization === 'Bearer tok-123')).to.equal(true);
  });

  it('follows blob redirects to another host (a CDN) without sending it the registry token', async () => {
    const seen: Array<{ path: string; authorization: string | undefined }> = [];
    let registry: FakeRegistry | undefined;
    const cdn = createServer((req, res) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
      const blob = registry?.content.blobs.get((req.url ?? '').replace('/cdn/', ''));
      res.writeHead(blob ? 200 : 404, { 'content-length': blob?.length ?? 0 });
      res.end(blob);
    });
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
    try {
      const port = (cdn.address() as AddressInfo).port;
      registry = await startFakeRegistry({ bearerToken: 'tok-cdn', redirectBlobsTo: `http://127.0.0.1:${port}/cdn/` });
      const layerTar = buildTar([{ name: 'c', content: 'from the cdn' }]);
      addSimpleImage(registry.content, 'private/cdn', 'v1', layerTar, gzipTar(layerTar));
      const s = new ImageStore({ root: join(dir, 'cdn'), insecureRegistries: [registry.address] });
      const img = await s.pull(`${registry.address}/private/cdn:v1`);
      expect(await readFile(join(img.layerDirs[0]!, 'c'), 'utf8')).to.equal('from the cdn');
      expect(seen.map((r) => r.path)).to.have.length(2); // the config and the layer
      expect(seen.every((r) => r.authorization === undefined)).to.equal(true);
      expect(registry.requests.filter((r) => r.path.includes('/blobs/')).every((r) => r.authorization === 'Bearer tok-cdn')).to.equal(true);
    } finally {
      cdn.closeAllConnections();
      await new Promise<void>((resolve) => cdn.close(() => resolve()));
      await registry?.stop();
    }
  });

  it('reports a token the registry refuses as UnauthorizedError', async () => {
    const strict = await startFakeRegistry({ bearerToken: 'expected', issuedToken: 'stale' });
    try {
      const s = new ImageStore({ root: join(dir, 'refused'), insecureRegistries: [strict.address] });
      const err = await pullError(s, `${strict.address}/private/app:v1`);
      expect(err).to.be.instanceOf(UnauthorizedError);
      expect(err.message).to.contain('private/app').and.contain('credentials');
    } finally {
      await strict.stop();
    }
  });
});
