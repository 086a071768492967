/**
 * One pull: resolve the reference to a platform manifest, then fetch config and layers by
 * digest into the content store, verifying each, and unpack the layers the store lacks.
 */
import type { ContentStore } from './content-store.js';
import { type Digest } from './digest.js';
import { DigestMismatchError, RegistryError } from './errors.js';
import type { ImageRecord } from './image-records.js';
import type { LayerStore } from './layer-store.js';
import { parseImageConfig, parseManifestDocument, type Descriptor, type ImageManifest } from './manifest.js';
import { fetchAndUnpackLayer } from './layer-fetch.js';
import { layerCompression } from './media-types.js';
import { hostPlatform, selectManifest } from './platform.js';
import type { PullProgressListener } from './pull-progress.js';
import { formatReference, type ImageReference } from './reference.js';
import type { RegistryClient } from './registry-client.js';

// Layers downloaded at once: enough to fill a link, few enough to spare a small registry.
const LAYER_CONCURRENCY = 3;

export interface PullDeps {
  client: RegistryClient;
  content: ContentStore;
  layers: LayerStore;
}

export async function pullImage(deps: PullDeps, ref: ImageReference, onProgress: PullProgressListener): Promise<ImageRecord> {
  const name = formatReference(ref);
  // Most pulls unpack a layer: its worker boots while the manifest and config download.
  deps.layers.prepareUnpacks(1);
  const top = await fetchManifest(deps, ref, ref.digest ?? (ref.tag as string));
  let doc = parseManifestDocument(top.bytes, top.contentType, `manifest of ${name}`);
  let indexDigest: Digest | undefined;
  let manifestDigest = top.digest;
  if (doc.kind === 'index') {
    indexDigest = top.digest;
    const chosen = selectManifest(name, doc.index.manifests, hostPlatform());
    const m = await fetchManifest(deps, ref, chosen.digest);
    doc = parseManifestDocument(m.bytes, chosen.mediaType, `manifest ${chosen.digest} of ${name}`);
    if (doc.kind !== 'manifest') throw new RegistryError(`${name}: index entry ${chosen.digest} is itself an index`);
    manifestDigest = m.digest;
  }
  const manifest: ImageManifest = doc.manifest;
  onProgress({ kind: 'resolved', reference: name, digest: indexDigest ?? manifestDigest, manifestDigest });

  await ensureBlob(deps, ref, manifest.config, `config of ${name}`, onProgress);
  const config = parseImageConfig(await deps.content.read(manifest.config.digest), manifest.layers.length, `config of ${name}`);
  const diffIds = config.rootfs.diff_ids;

  const queue = manifest.layers.map((desc, i) => ({ desc, diffId: diffIds[i] as Digest }));
  const absent = (await Promise.all(queue.map((job) => deps.layers.has(job.diffId)))).filter((present) => !present).length;
  deps.layers.prepareUnpacks(Math.min(LAYER_CONCURRENCY, absent));
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) await ensureLayer(deps, ref, job.desc, job.diffId, onProgress);
  };
  await Promise.all(Array.from({ length: Math.min(LAYER_CONCURRENCY, queue.length) }, worker));

  return {
    reference: name,
    digest: indexDigest ?? manifestDigest,
    ...(indexDigest !== undefined ? { indexDigest } : {}),
    manifestDigest,
    configDigest: manifest.config.digest,
    layers: manifest.layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i] as Digest, mediaType: l.mediaType, size: l.size })),
    pulledAt: new Date().toISOString(),
  };
}

// A manifest by digest that the store already holds needs no request; one by tag always
// asks the registry (tags move). What was fetched is verified and stored.
async function fetchManifest(deps: PullDeps, ref: ImageReference, digestOrTag: string): Promise<{ bytes: Buffer; contentType: string | undefined; digest: Digest }> {
  if (digestOrTag.startsWith('sha256:') && (await deps.content.has(digestOrTag as Digest))) {
    return { bytes: await deps.content.read(digestOrTag as Digest), contentType: undefined, digest: digestOrTag as Digest };
  }
  const m = await deps.client.getManifest(ref, digestOrTag);
  await deps.content.put(m.digest, m.bytes, `manifest of ${formatReference(ref)}`);
  return m;
}

async function ensureBlob(deps: PullDeps, ref: ImageReference, desc: Descriptor, what: string, onProgress: PullProgressListener): Promise<void> {
  await deps.content.ensure(desc.digest, async () => {
    onProgress({ kind: 'download-start', digest: desc.digest, size: desc.size });
    await deps.client.fetchBlob(ref, desc.digest, async (body, length) => {
      if (length !== undefined && length !== desc.size) {
        throw new DigestMismatchError(`${what} (registry sent ${length} bytes, manifest declares ${desc.size})`, desc.digest, 'unknown');
      }
      let downloaded = 0;
      await deps.content.ingest(desc.digest, desc.size, body, what, (n) => {
        downloaded += n;
        onProgress({ kind: 'download-progress', digest: desc.digest, downloaded, size: desc.size });
      });
    });
    onProgress({ kind: 'download-done', digest: desc.digest, size: desc.size });
  });
}

async function ensureLayer(deps: PullDeps, ref: ImageReference, desc: Descriptor, diffId: Digest, onProgress: PullProgressListener): Promise<void> {
  if (await deps.layers.has(diffId)) {
    onProgress({ kind: 'layer-present', digest: desc.digest, diffId });
    return;
  }
  const what = `layer ${desc.digest} of ${formatReference(ref)}`;
  const compression = layerCompression(desc.mediaType) ?? 'gzip';
  // A missing blob is downloaded and unpacked in one pass (layer-fetch.ts); a stored one, or
  // one another pull stored meanwhile, is unpacked from the store. Either way the layer is
  // committed only after its blob digest and its diff_id were verified.
  const result = await deps.layers.ensure(diffId, async () => {
    if (!(await deps.content.has(desc.digest))) {
      const streamed = await fetchAndUnpackLayer({ ...deps, ref, desc, diffId, compression, what, onProgress });
      if (streamed !== undefined) return streamed;
    }
    return deps.layers.unpack(diffId, compression, deps.content.openRead(desc.digest), what);
  });
  if (result) onProgress({ kind: 'unpacked', diffId, entries: result.entries, skipped: result.skipped });
}
