/**
 * Garbage collection: a blob or unpacked layer is live when some image record points at it;
 * everything else (and abandoned temp files) is removed. The caller must hold the store's
 * exclusive lock so no pull is between storing content and recording it.
 */
import type { ContentStore } from './content-store.js';
import type { Digest } from './digest.js';
import type { ImageRecords } from './image-records.js';
import type { LayerStore } from './layer-store.js';

/** What a gc run removed. */
export interface GcResult {
  removedBlobs: number;
  removedLayers: number;
}

export async function collectGarbage(records: ImageRecords, content: ContentStore, layers: LayerStore): Promise<GcResult> {
  const liveBlobs = new Set<Digest>();
  const liveLayers = new Set<Digest>();
  for (const r of await records.list()) {
    liveBlobs.add(r.manifestDigest);
    liveBlobs.add(r.configDigest);
    if (r.indexDigest) liveBlobs.add(r.indexDigest);
    for (const l of r.layers) {
      liveBlobs.add(l.digest);
      liveLayers.add(l.diffId);
    }
  }
  let removedBlobs = 0;
  for (const d of await content.list()) {
    if (liveBlobs.has(d)) continue;
    await content.delete(d);
    removedBlobs++;
  }
  let removedLayers = 0;
  for (const d of await layers.list()) {
    if (liveLayers.has(d)) continue;
    await layers.delete(d);
    removedLayers++;
  }
  await content.clearIngest();
  await layers.clearTmp();
  return { removedBlobs, removedLayers };
}
