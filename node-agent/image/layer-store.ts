/**
 * LayerStore keeps unpacked layers, one directory per layer at `<root>/layers/sha256/<hex of
 * diff_id>`, shared by every image that contains the layer. A layer is unpacked into
 * `<root>/layers/tmp/` while its uncompressed stream is hashed; only when the hash equals the
 * diff_id is it renamed into place, so a layer directory that exists is complete and verified.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

import { digestHex, hasherDigest, isDigest, newHasher, type Digest } from './digest.js';
import { DigestMismatchError, ImageError } from './errors.js';
import { unpackLayer, type UnpackResult } from './layer-unpack.js';
import type { LayerCompression } from './media-types.js';
import { readTar } from './tar-reader.js';

export class LayerStore {
  private readonly dir: string;
  private readonly tmpDir: string;
  // One unpack per diff_id at a time: concurrent pulls of images sharing a layer wait for it.
  private readonly inflight = new Map<Digest, Promise<UnpackResult | undefined>>();

  constructor(root: string) {
    this.dir = join(root, 'layers', 'sha256');
    this.tmpDir = join(root, 'layers', 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
  }

  /** The directory of an unpacked layer (an overlay lowerdir). */
  path(diffId: Digest): string {
    return join(this.dir, digestHex(diffId));
  }

  async has(diffId: Digest): Promise<boolean> {
    return stat(this.path(diffId)).then(
      () => true,
      () => false,
    );
  }

  /**
   * Unpacks the layer whose blob `open()` streams, unless already present. Returns the
   * unpack summary, or undefined when the layer was already there.
   */
  async ensure(diffId: Digest, compression: LayerCompression, open: () => Readable, what: string): Promise<UnpackResult | undefined> {
    const running = this.inflight.get(diffId);
    if (running) return running.then(() => undefined);
    const p = this.unpack(diffId, compression, open, what).finally(() => this.inflight.delete(diffId));
    this.inflight.set(diffId, p);
    return p;
  }

  private async unpack(diffId: Digest, compression: LayerCompression, open: () => Readable, what: string): Promise<UnpackResult | undefined> {
    if (await this.has(diffId)) return undefined;
    if (compression === 'zstd') throw new ImageError(`${what}: zstd layers are not supported`);
    const tmp = join(this.tmpDir, `${digestHex(diffId).slice(0, 12)}-${randomBytes(6).toString('hex')}`);
    await mkdir(tmp, { mode: 0o755 });
    try {
      const raw = open();
      // Large chunks: fewer writes and fewer trips through the tar reader per file.
      const stream = compression === 'gzip' ? raw.pipe(createGunzip({ chunkSize: 256 * 1024 })) : raw;
      raw.on('error', (e) => stream.destroy(e));
      const h = newHasher();
      const it = stream[Symbol.asyncIterator]();
      const hashing: AsyncIterator<Uint8Array> = {
        next: async () => {
          const r = await it.next();
          if (!r.done) h.update(r.value as Buffer);
          return r as IteratorResult<Uint8Array>;
        },
      };
      let result: UnpackResult;
      try {
        result = await unpackLayer(readTar(hashing), tmp, what);
        // The diff_id covers the whole uncompressed stream, including bytes after the tar end.
        while (!(await hashing.next()).done) {
          // drain
        }
      } finally {
        stream.destroy();
        raw.destroy();
      }
      const actual = hasherDigest(h);
      if (actual !== diffId) throw new DigestMismatchError(`${what} (uncompressed content vs config rootfs.diff_ids)`, diffId, actual);
      await rename(tmp, this.path(diffId));
      return result;
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      if (e instanceof ImageError) throw e;
      throw new ImageError(`${what}: cannot unpack: ${(e as Error).message}`);
    }
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.map((n) => `sha256:${n}`).filter(isDigest);
  }

  async delete(diffId: Digest): Promise<void> {
    // Rename first so a half-removed directory is never mistaken for a complete layer.
    const doomed = join(this.tmpDir, `rm-${digestHex(diffId).slice(0, 12)}-${randomBytes(6).toString('hex')}`);
    try {
      await rename(this.path(diffId), doomed);
    } catch {
      return;
    }
    await rm(doomed, { recursive: true, force: true });
  }

  /** Removes abandoned unpacks (call when no pull is running). */
  async clearTmp(): Promise<number> {
    const names = await readdir(this.tmpDir).catch(() => [] as string[]);
    await Promise.all(names.map((n) => rm(join(this.tmpDir, n), { recursive: true, force: true })));
    return names.length;
  }
}
