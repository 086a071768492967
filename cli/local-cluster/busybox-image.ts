/**
 * Builds OCI images without a container engine: an OCI layout written directly (so layers are
 * byte-for-byte reproducible), pushed with skopeo to a plain-HTTP registry. `berth up` uses it
 * to put `library/busybox:1.35` (and `:latest`) into the local cluster's registry, built from
 * Debian's busybox-static with its applets linked (docs/architecture.md section 9); the tests build their
 * images with it too (test/support/image-build.ts).
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildLayerTar, FIXED_MTIME, gzipLayer, type LayerEntry } from './layer-tar.js';

const run = promisify(execFile);

/** Debian's busybox-static binary (package busybox-static). */
export const BUSYBOX = '/bin/busybox';

/** BuiltImage is what was pushed, with digests as the registry serves them. */
export interface BuiltImage {
  /** `ADDR/name:tag` */
  reference: string;
  /** Digest of what the tag points at (the index for multi-platform images). */
  digest: string;
  /** The linux/<this arch> manifest's digest. */
  manifestDigest: string;
  /** Compressed layer digests and their diff_ids, base first. */
  layers: Array<{ digest: string; diffId: string }>;
}

/** BuildOptions is used to vary how buildImage writes and pushes an image. */
export interface BuildOptions {
  /** Image config `config` section (Cmd, Env, …). */
  config?: Record<string, unknown>;
  /** Push as Docker v2 schema 2 instead of OCI. */
  format?: 'oci' | 'v2s2';
  /** Push an index with this platform plus a dummy linux/riscv64 manifest. */
  multiPlatform?: boolean;
  /** Store this layer uncompressed (media type …layer.v1.tar); default gzip. */
  uncompressed?: boolean;
  /** Further tags the same image is pushed under (`latest` beside `1.35`). */
  extraTags?: string[];
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
/** This machine's architecture in image (GOARCH) terms. */
export const HOST_ARCH = GOARCH[process.arch] ?? process.arch;

async function writeBlob(layout: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(data);
  await writeFile(join(layout, 'blobs', 'sha256', digest.slice(7)), data);
  return { digest, size: data.length };
}

async function writeManifest(layout: string, layers: Buffer[], arch: string, opts: BuildOptions): Promise<{ desc: Record<string, unknown>; layers: BuiltImage['layers'] }> {
  const layerDescs = [];
  const built: BuiltImage['layers'] = [];
  for (const tar of layers) {
    const blob = opts.uncompressed ? tar : gzipLayer(tar);
    const d = await writeBlob(layout, blob);
    layerDescs.push({ mediaType: `application/vnd.oci.image.layer.v1.tar${opts.uncompressed ? '' : '+gzip'}`, ...d });
    built.push({ digest: d.digest, diffId: sha256(tar) });
  }
  const created = new Date(FIXED_MTIME * 1000).toISOString();
  const config = {
    created,
    architecture: arch,
    os: 'linux',
    config: opts.config ?? { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: built.map((l) => l.diffId) },
    history: built.map(() => ({ created, created_by: 'berth image build' })),
  };
  const cfg = await writeBlob(layout, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
    layers: layerDescs,
  };
  const m = await writeBlob(layout, Buffer.from(JSON.stringify(manifest)));
  return { desc: { mediaType: manifest.mediaType, ...m, platform: { os: 'linux', architecture: arch } }, layers: built };
}

/** buildImage builds an image from layer tars and pushes it to `registryAddress` (plain HTTP) as name:tag. */
export async function buildImage(registryAddress: string, name: string, tag: string, layers: Buffer[], opts: BuildOptions = {}): Promise<BuiltImage> {
  const layout = await mkdtemp(join(tmpdir(), 'berth-oci-'));
  try {
    await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const main = await writeManifest(layout, layers, HOST_ARCH, opts);
    let top = main.desc;
    if (opts.multiPlatform) {
      const other = await writeManifest(layout, [buildLayerTar([{ name: 'other-arch', content: 'x' }])], HOST_ARCH === 'riscv64' ? 'amd64' : 'riscv64', opts);
      const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [other.desc, main.desc] };
      top = { mediaType: index.mediaType, ...(await writeBlob(layout, Buffer.from(JSON.stringify(index)))) };
    }
    const refIndex = { schemaVersion: 2, manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': tag } }] };
    await writeFile(join(layout, 'index.json'), JSON.stringify(refIndex));
    const args = ['copy', '--quiet', '--dest-tls-verify=false', ...(opts.multiPlatform ? ['--all'] : [])];
    if (opts.format === 'v2s2') args.push('--format', 'v2s2');
    for (const t of [tag, ...(opts.extraTags ?? [])]) {
      await run('skopeo', [...args, `oci:${layout}:${tag}`, `docker://${registryAddress}/${name}:${t}`], { timeout: 60_000 });
    }
    const digest = await registryDigest(registryAddress, name, tag);
    const manifestDigest = opts.multiPlatform || opts.format === 'v2s2' ? await platformDigest(registryAddress, name, digest) : digest;
    return { reference: `${registryAddress}/${name}:${tag}`, digest, manifestDigest, layers: main.layers };
  } finally {
    await rm(layout, { recursive: true, force: true });
  }
}

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** registryDigest is the digest of the manifest (or index) `name:ref` as `addr` serves it. */
export async function registryDigest(addr: string, name: string, ref: string): Promise<string> {
  const res = await fetch(`http://${addr}/v2/${name}/manifests/${ref}`, { headers: { accept: ACCEPT } });
  if (!res.ok) throw new Error(`manifest ${name}:${ref} not in registry ${addr}: ${res.status}`);
  return sha256(Buffer.from(await res.arrayBuffer()));
}

// For an index: the digest of this platform's entry; for a manifest: its own digest.
async function platformDigest(addr: string, name: string, digest: string): Promise<string> {
  const res = await fetch(`http://${addr}/v2/${name}/manifests/${digest}`, { headers: { accept: ACCEPT } });
  const doc = (await res.json()) as { manifests?: Array<{ digest: string; platform?: { architecture?: string } }> };
  return doc.manifests?.find((m) => m.platform?.architecture === HOST_ARCH)?.digest ?? digest;
}

let baseLayer: Buffer | undefined;

/**
 * busyboxBaseLayer is the busybox layer: /bin/busybox, its applets as symlinks, /etc/passwd and
 * /etc/group (root, nobody 65534), and /usr/share/doc/busybox/README.
 */
export function busyboxBaseLayer(): Buffer {
  if (baseLayer) return baseLayer;
  const dirs = ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'usr/share', 'usr/share/doc', 'usr/share/doc/busybox', 'etc', 'root', 'tmp', 'home', 'var', 'proc', 'sys', 'dev'];
  const entries: LayerEntry[] = dirs.map((d) => ({ name: `${d}/`, type: 'dir', mode: d === 'tmp' ? 0o1777 : d === 'root' ? 0o700 : 0o755 }));
  entries.push({ name: 'bin/busybox', content: readFileSync(BUSYBOX), mode: 0o755 });
  for (const a of busyboxApplets()) if (a !== 'bin/busybox') entries.push({ name: a, type: 'symlink', linkname: '/bin/busybox', mode: 0o777 });
  entries.push(
    { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
    { name: 'etc/group', content: 'root:x:0:\nnobody:x:65534:\n' },
    { name: 'usr/share/doc/busybox/README', content: 'busybox-static from Debian, GPL-2.0\n' },
  );
  baseLayer = buildLayerTar(entries);
  return baseLayer;
}

function busyboxApplets(): string[] {
  // `busybox --list-full` prints each applet's install path (bin/sh, usr/bin/awk, …).
  return execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim() !== '')
    .sort();
}

/**
 * buildBusyboxImage pushes the busybox image as `ADDR/name:tag`. With `extraLayer` (a tar), the
 * image is the same base layer (identical digest) plus that layer.
 */
export async function buildBusyboxImage(registryAddress: string, name: string, tag: string, extraLayer?: Buffer, opts: BuildOptions = {}): Promise<BuiltImage> {
  const layers = [busyboxBaseLayer()];
  if (extraLayer) layers.push(extraLayer);
  return buildImage(registryAddress, name, tag, layers, opts);
}

/** The tag `berth up` pushes busybox under (and `latest`), as `library/busybox` for the docker.io mirror. */
export const LOCAL_BUSYBOX = { name: 'library/busybox', tag: '1.35', extraTags: ['latest'] } as const;
