/**
 * The unpack pipeline of one layer, run inside an unpack worker (unpack-workers.ts):
 * decompress → hash the uncompressed bytes (the diff_id) → read tar → unpack into a
 * directory. It only reports the diff_id it saw; the layer store compares and commits.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

import { hasherDigest, newHasher, type Digest } from './digest.js';
import { LayerLimitError, type LayerLimits } from './layer-limits.js';
import { unpackLayer, type UnpackResult } from './layer-unpack.js';
import type { LayerCompression } from './media-types.js';
import { readTar, type TarEntry } from './tar-reader.js';

/** What decoding one layer produced: the unpack summary and the uncompressed digest. */
export interface DecodedLayer {
  result: UnpackResult;
  diffId: Digest;
}

/**
 * Unpacks the compressed chunks of `input` into the existing, empty directory `dir`. Throws
 * LayerLimitError as soon as the layer goes past `limits` (the caller removes `dir`).
 */
export async function decodeLayer(input: AsyncIterable<Uint8Array>, compression: Exclude<LayerCompression, 'zstd'>, dir: string, what: string, limits: LayerLimits): Promise<DecodedLayer> {
  const raw = Readable.from(input, { objectMode: false });
  // Large chunks: fewer writes and fewer trips through the tar reader per file.
  const stream = compression === 'gzip' ? raw.pipe(createGunzip({ chunkSize: 256 * 1024 })) : raw;
  raw.on('error', (e) => stream.destroy(e));
  const h = newHasher();
  const it = stream[Symbol.asyncIterator]();
  let bytes = 0;
  const hashing: AsyncIterator<Uint8Array> = {
    next: async () => {
      const r = await it.next();
      if (!r.done) {
        bytes += (r.value as Buffer).length;
        // Counted as gunzip produces it, so a bomb stops after `maxBytes`, not at its end.
        if (bytes > limits.maxBytes) throw new LayerLimitError('bytes', limits.maxBytes);
        h.update(r.value as Buffer);
      }
      return r as IteratorResult<Uint8Array>;
    },
  };
  try {
    const result = await unpackLayer(counted(readTar(hashing), limits.maxEntries), dir, what);
    // The diff_id covers the whole uncompressed stream, including bytes after the tar end.
    while (!(await hashing.next()).done) {
      // drain
    }
    return { result, diffId: hasherDigest(h) };
  } finally {
    stream.destroy();
    raw.destroy();
  }
}

async function* counted(entries: AsyncIterable<TarEntry>, maxEntries: number): AsyncGenerator<TarEntry> {
  let n = 0;
  for await (const entry of entries) {
    if (++n > maxEntries) throw new LayerLimitError('entries', maxEntries);
    yield entry;
  }
}
