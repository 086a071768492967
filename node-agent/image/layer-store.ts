/**
 * LayerStore keeps unpacked layers, one directory per layer at `<root>/layers/sha256/<hex of
 * diff_id>`, shared by every image that contains the layer. A layer is unpacked into
 * `<root>/layers/tmp/` (on a worker thread, unpack-workers.ts) while its uncompressed stream
 * is hashed; only when the hash equals the diff_id, and the compressed blob has been verified
 * too, is it renamed into place, so a layer directory that exists is complete and verified.
 *
 * Durability: a layer directory is published (renamed into place) only after one syncfs of its
 * filesystem has put every unpacked file on disk: a layer that `has()` reports must never be a
 * half-written one left by a power loss, since nothing would ever repair it. One syncfs per layer
 * costs far less than an fsync per file. Blobs are fsynced one by one (content-store.ts).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import { digestHex, isDigest, type Digest } from './digest.js';
import { DigestMismatchError, ImageError } from './errors.js';
import type { DecodedLayer } from './layer-decode.js';
import { DEFAULT_LAYER_LIMITS, type LayerLimits } from './layer-limits.js';
import type { UnpackResult } from './layer-unpack.js';
import type { LayerCompression } from './media-types.js';
import { unpackWorkers } from './unpack-workers.js';

/** syncFileSystem flushes the filesystem holding `path` (syncfs(2), through coreutils' `sync -f`). */
function syncFileSystem(path: string): Promise<void> {
  return new Promise((resolve, reject) => execFile('sync', ['-f', path], (err) => (err ? reject(err) : resolve())));
}

export class LayerStore {
  private readonly dir: string;
  private readonly tmpDir: string;
  // One unpack per diff_id at a time: concurrent pulls of images sharing a layer wait for it.
  private readonly inflight = new Map<Digest, Promise<UnpackResult | undefined>>();

  constructor(
    root: string,
    private readonly limits: LayerLimits = DEFAULT_LAYER_LIMITS,
  ) {
    this.dir = join(root, 'layers', 'sha256');
    this.tmpDir = join(root, 'layers', 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
  }

  /** Boots unpack workers for `layers` unpacks about to start, so none waits for its worker to boot. */
  prepareUnpacks(layers: number): void {
    unpackWorkers.prestart(layers);
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
   * Runs `run` (which unpacks the layer through `unpack`) unless the layer is present or
   * another caller is already producing it, in which case that caller's outcome is awaited.
   * Returns the unpack summary, or undefined when the layer was already there.
   */
  async ensure(diffId: Digest, run: () => Promise<UnpackResult | undefined>): Promise<UnpackResult | undefined> {
    const running = this.inflight.get(diffId);
    if (running) return running.then(() => undefined);
    const p = (async () => ((await this.has(diffId)) ? undefined : run()))().finally(() => this.inflight.delete(diffId));
    this.inflight.set(diffId, p);
    return p;
  }

  /**
   * Unpacks the compressed layer `raw` into a temporary directory while hashing its
   * uncompressed bytes, then awaits `verified` (the caller's check of the compressed digest,
   * which may still be running while the bytes stream in). Only when both the diff_id and
   * `verified` hold is the directory renamed into place; otherwise it is removed and the
   * error thrown. `raw` is consumed to its end either way unless it fails.
   */
  async unpack(diffId: Digest, compression: LayerCompression, raw: Readable, what: string, verified: Promise<void> = Promise.resolve()): Promise<UnpackResult> {
    // Whatever happens below, a rejection of `verified` must not go unhandled.
    verified.catch(() => {});
    const tmp = join(this.tmpDir, `${digestHex(diffId).slice(0, 12)}-${randomBytes(6).toString('hex')}`);
    try {
      if (compression === 'zstd') throw new ImageError(`${what}: zstd layers are not supported`);
      await mkdir(tmp, { mode: 0o755 });
    } catch (e) {
      raw.destroy(); // an unconsumed tee branch would stall the blob download
      throw e;
    }
    try {
      let decoded: DecodedLayer;
      try {
        decoded = await unpackWorkers.decode(raw, compression, tmp, what, this.limits);
      } finally {
        // Also ends a tee's branch, so the blob side keeps flowing after a failed unpack.
        raw.destroy();
      }
      await verified;
      if (decoded.diffId !== diffId) throw new DigestMismatchError(`${what} (uncompressed content vs config rootfs.diff_ids)`, diffId, decoded.diffId);
      await syncFileSystem(tmp);
      await rename(tmp, this.path(diffId));
      return decoded.result;
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
