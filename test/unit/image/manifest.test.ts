import { expect } from 'chai';

import { parseImageConfig, parseManifestDocument, type Descriptor } from '../../../node-agent/image/manifest.js';
import { layerCompression, manifestKind, MediaType } from '../../../node-agent/image/media-types.js';
import { hostPlatform, selectManifest } from '../../../node-agent/image/platform.js';
import { parseWwwAuthenticate } from '../../../node-agent/image/auth.js';
import { registryEndpoints } from '../../../node-agent/image/registry-hosts.js';
import { NoMatchingPlatformError, RegistryError } from '../../../node-agent/image/index.js';

const D = (c: string): `sha256:${string}` => `sha256:${c.repeat(64)}`;
const bytes = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

describe('manifest and media types', () => {
  it('classifies OCI and Docker manifest and index types', () => {
    expect(manifestKind(MediaType.OciManifest)).to.equal('manifest');
    expect(manifestKind(MediaType.DockerManifest)).to.equal('manifest');
    expect(manifestKind(MediaType.OciIndex)).to.equal('index');
    expect(manifestKind(MediaType.DockerManifestList)).to.equal('index');
    expect(manifestKind('application/json')).to.equal(undefined);
    expect(layerCompression(MediaType.DockerLayerGzip)).to.equal('gzip');
    expect(layerCompression(MediaType.OciLayer)).to.equal('none');
    expect(layerCompression(MediaType.OciLayerZstd)).to.equal('zstd');
  });

  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.DockerManifest,
    config: { mediaType: MediaType.DockerConfig, digest: D('c'), size: 10 },
    layers: [{ mediaType: MediaType.DockerLayerGzip, digest: D('1'), size: 5 }],
  };

  it('parses a Docker v2 manifest', () => {
    const doc = parseManifestDocument(bytes(manifest), undefined, 'test');
    expect(doc.kind).to.equal('manifest');
    if (doc.kind === 'manifest') expect(doc.manifest.layers[0]?.digest).to.equal(D('1'));
  });

  it('falls back to the Content-Type header, then to the shape, when mediaType is absent', () => {
    const { mediaType: _, ...bare } = manifest;
    expect(parseManifestDocument(bytes(bare), `${MediaType.DockerManifest}; charset=utf-8`, 't').kind).to.equal('manifest');
    expect(parseManifestDocument(bytes({ schemaVersion: 2, manifests: [] }), undefined, 't').kind).to.equal('index');
  });

  it('rejects schema 1, zstd layers and bad digests with a reason', () => {
    expect(() => parseManifestDocument(bytes({ schemaVersion: 1, name: 'x' }), undefined, 't')).to.throw(RegistryError, /schema 1/);
    const zstd = { ...manifest, layers: [{ mediaType: MediaType.OciLayerZstd, digest: D('1'), size: 5 }] };
    expect(() => parseManifestDocument(bytes(zstd), undefined, 't')).to.throw(/zstd/);
    const bad = { ...manifest, layers: [{ mediaType: MediaType.OciLayerGzip, digest: 'md5:abc', size: 5 }] };
    expect(() => parseManifestDocument(bytes(bad), undefined, 't')).to.throw(/digest/);
  });

  it('requires one diff_id per layer in the config', () => {
    const cfg = bytes({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [D('a')] } });
    expect(parseImageConfig(cfg, 1, 'c').rootfs.diff_ids).to.deep.equal([D('a')]);
    expect(() => parseImageConfig(cfg, 2, 'c')).to.throw(/1 entries but the manifest has 2 layers/);
  });
});

describe('platform selection', () => {
  const entry = (architecture: string, variant?: string, os = 'linux'): Descriptor => ({
    mediaType: MediaType.OciManifest,
    digest: D(architecture === 'amd64' ? 'a' : variant === 'v6' ? '6' : variant === 'v7' ? '7' : 'b'),
    size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });

  it('maps process.arch to the image architecture', () => {
    const p = hostPlatform();
    expect(p.os).to.equal('linux');
    if (process.arch === 'x64') expect(p.architecture).to.equal('amd64');
  });

  it('picks the matching os/architecture and ignores attestation entries', () => {
    const list = [entry('unknown', undefined, 'unknown'), entry('arm64', 'v8'), entry('amd64')];
    expect(selectManifest('r', list, { os: 'linux', architecture: 'amd64' }).digest).to.equal(D('a'));
    expect(selectManifest('r', list, { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest).to.equal(D('b'));
  });

  it('prefers the exact ARM variant and accepts an older one', () => {
    const list = [entry('arm', 'v6'), entry('arm', 'v7')];
    expect(selectManifest('r', list, { os: 'linux', architecture: 'arm', variant: 'v7' }).digest).to.equal(D('7'));
    expect(selectManifest('r', [entry('arm', 'v6')], { os: 'linux', architecture: 'arm', variant: 'v7' }).digest).to.equal(D('6'));
    expect(() => selectManifest('r', [entry('arm', 'v7')], { os: 'linux', architecture: 'arm', variant: 'v6' })).to.throw(NoMatchingPlatformError);
  });

  it('names the available platforms when none matches', () => {
    expect(() => selectManifest('app', [entry('arm64', 'v8')], { os: 'linux', architecture: 'amd64' })).to.throw(/linux\/arm64\/v8/);
  });
});

describe('registry settings and auth challenges', () => {
  it('tries mirrors in order, then the origin; docker.io goes to registry-1.docker.io', () => {
    const eps = registryEndpoints('docker.io', { mirrors: { 'docker.io': ['http://127.0.0.1:1', 'mirror.local:5000'] }, insecureRegistries: ['mirror.local:5000'] });
    expect(eps.map((e) => e.base)).to.deep.equal(['http://127.0.0.1:1', 'http://mirror.local:5000', 'https://registry-1.docker.io']);
    expect(registryEndpoints('r.example:5000', { insecureRegistries: ['r.example:5000'] })[0]?.base).to.equal('http://r.example:5000');
    expect(registryEndpoints('quay.io', {})[0]?.base).to.equal('https://quay.io');
  });

  it('with mirrorsOnly, asks only the mirrors of a registry that has some', () => {
    const settings = { mirrors: { 'docker.io': ['http://10.0.0.1:5000'] }, mirrorsOnly: true };
    expect(registryEndpoints('docker.io', settings).map((e) => e.base)).to.deep.equal(['http://10.0.0.1:5000']);
    expect(registryEndpoints('quay.io', settings).map((e) => e.base)).to.deep.equal(['https://quay.io']);
  });

  it('parses Bearer and Basic challenges', () => {
    const c = parseWwwAuthenticate('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"');
    expect(c).to.deep.equal([
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull' } },
    ]);
    expect(parseWwwAuthenticate('Basic realm="Registry Realm"')[0]).to.deep.equal({ scheme: 'basic', params: { realm: 'Registry Realm' } });
  });
});
