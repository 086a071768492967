/**
 * Fetches one layer blob and unpacks it in the same pass, as containerd does: the HTTP body
 * is teed into the content store's ingest (which hashes it against the blob digest) and into
 * the layer store's unpack (gunzip → tar → a temporary layer directory, hashing the diff_id).
 * The layer directory is committed only after both digests hold; on any failure the
 * temporary directory and the partial blob are removed, so nothing unverified is kept.
 */
import { PassThrough, type Readable } from 'node:stream';

import type { ContentStore } from './content-store.js';
import type { Digest } from './digest.js';
import { DigestMismatchError } from './errors.js';
import type { LayerStore } from './layer-store.js';
import type { UnpackResult } from './layer-unpack.js';
import type { Descriptor } from './manifest.js';
import type { LayerCompression } from './media-types.js';
import type { PullProgressListener } from './pull-progress.js';
import type { ImageReference } from './reference.js';
import type { RegistryClient } from './registry-client.js';

// Per-branch buffering of the tee: lets a burst of network data wait while a file is written.
const TEE_HIGH_WATER_MARK = 1024 * 1024;

/** Everything one streamed layer fetch needs. */
export interface LayerFetch {
  client: RegistryClient;
  content: ContentStore;
  layers: LayerStore;
  ref: ImageReference;
  desc: Descriptor;
  diffId: Digest;
  compression: LayerCompression;
  what: string;
  onProgress: PullProgressListener;
}

/**
 * Downloads `desc` and unpacks it as `diffId`; returns the unpack summary, or undefined
 * when another caller stored the blob meanwhile (then the caller unpacks from the store).
 */
export async function fetchAndUnpackLayer(f: LayerFetch): Promise<UnpackResult | undefined> {
  let result: UnpackResult | undefined;
  await f.content.ensure(f.desc.digest, async () => {
    f.onProgress({ kind: 'download-start', digest: f.desc.digest, size: f.desc.size });
    result = await f.client.fetchBlob(f.ref, f.desc.digest, (body, length) => {
      if (length !== undefined && length !== f.desc.size) {
        throw new DigestMismatchError(`${f.what} (registry sent ${length} bytes, manifest declares ${f.desc.size})`, f.desc.digest, 'unknown');
      }
      return teeIntoStores(f, body);
    });
  });
  return result;
}

// One attempt against one endpoint: both branches run to completion (or failure) before it
// returns, so a retry on the next endpoint never races leftovers of this one.
async function teeIntoStores(f: LayerFetch, body: Readable): Promise<UnpackResult> {
  const toBlob = new PassThrough({ highWaterMark: TEE_HIGH_WATER_MARK });
  const toLayer = new PassThrough({ highWaterMark: TEE_HIGH_WATER_MARK });
  body.on('error', (e) => {
    toBlob.destroy(e);
    toLayer.destroy(e);
  });
  // Each branch's consumer sees its failure through its own iteration or finished();
  // these keep an error raised before a consumer is attached from crashing the process.
  toBlob.on('error', () => {});
  toLayer.on('error', () => {});
  body.pipe(toBlob);
  body.pipe(toLayer);
  let downloaded = 0;
  const stored = f.content.ingest(f.desc.digest, f.desc.size, toBlob, f.what, (n) => {
    downloaded += n;
    f.onProgress({ kind: 'download-progress', digest: f.desc.digest, downloaded, size: f.desc.size });
  });
  // A blob that fails its digest stops the download; the unpack then fails and cleans up.
  const blobDone = stored.then(
    () => f.onProgress({ kind: 'download-done', digest: f.desc.digest, size: f.desc.size }),
    (e: unknown) => {
      body.destroy();
      toLayer.destroy(e as Error);
      throw e;
    },
  );
  const unpacked = f.layers.unpack(f.diffId, f.compression, toLayer, f.what, blobDone);
  const [blob, layer] = await Promise.allSettled([blobDone, unpacked]);
  // The blob's verdict comes first: a tampered blob also breaks gunzip or the tar reader,
  // and "digest mismatch" is the cause worth reporting.
  if (blob.status === 'rejected') throw blob.reason;
  if (layer.status === 'rejected') throw layer.reason;
  return layer.value;
}
