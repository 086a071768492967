/**
 * ContentStore keeps blobs (manifests, configs, compressed layers) by digest under
 * `<root>/blobs/sha256/<hex>`. A blob is written to `<root>/ingest/` first, verified (digest
 * and size), fsynced, then renamed into place: a blob in the store is always complete and correct.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import { digestHex, hasherDigest, isDigest, newHasher, sha256Digest, type Digest } from './digest.js';
import { DigestMismatchError, ImageError } from './errors.js';

const WRITE_BATCH_BYTES = 1024 * 1024;

async function writeAll(fh: FileHandle, chunks: Uint8Array[]): Promise<void> {
  if (chunks.length === 0) return;
  // writev may write less than asked; finish with plain writes.
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const { bytesWritten } = await fh.writev(chunks);
  if (bytesWritten === total) return;
  const rest = Buffer.concat(chunks).subarray(bytesWritten);
  for (let off = 0; off < rest.length; ) off += (await fh.write(rest, off)).bytesWritten;
}

/** ContentStore is used by pulls to keep verified blobs by digest (see the file comment). */
export class ContentStore {
  private readonly blobDir: string;
  private readonly ingestDir: string;
  // Downloads in progress: a second pull needing the same blob waits for the first.
  private readonly inflight = new Map<Digest, Promise<void>>();

  constructor(root: string) {
    this.blobDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
  }

  async init(): Promise<void> {
    await mkdir(this.blobDir, { recursive: true, mode: 0o700 });
    await mkdir(this.ingestDir, { recursive: true, mode: 0o700 });
  }

  path(d: Digest): string {
    return join(this.blobDir, digestHex(d));
  }

  async has(d: Digest): Promise<boolean> {
    return stat(this.path(d)).then(
      () => true,
      () => false,
    );
  }

  async read(d: Digest): Promise<Buffer> {
    return readFile(this.path(d));
  }

  openRead(d: Digest): Readable {
    return createReadStream(this.path(d), { highWaterMark: 1024 * 1024 });
  }

  /**
   * Makes sure blob `d` is stored: returns false at once if it is, waits if another caller
   * is fetching it, else runs `fetch` (which must store it) and returns true.
   */
  async ensure(d: Digest, fetch: () => Promise<void>): Promise<boolean> {
    const running = this.inflight.get(d);
    if (running) return running.then(() => false);
    if (await this.has(d)) return false;
    const again = this.inflight.get(d); // another caller may have started while we checked
    if (again) return again.then(() => false);
    const p = fetch().finally(() => this.inflight.delete(d));
    this.inflight.set(d, p);
    await p;
    return true;
  }

  /** Stores `bytes` as `expected` after checking they hash to it. */
  async put(expected: Digest, bytes: Uint8Array, what: string): Promise<void> {
    const actual = sha256Digest(bytes);
    if (actual !== expected) throw new DigestMismatchError(what, expected, actual);
    if (await this.has(expected)) return;
    await this.commit(expected, async (fh) => {
      await fh.writeFile(bytes);
    });
  }

  /**
   * Streams `source` into the store as `expected`. Throws DigestMismatchError (and keeps
   * nothing) when the content or its size differs. `onData` reports bytes as they arrive.
   */
  async ingest(expected: Digest, size: number | undefined, source: AsyncIterable<Uint8Array>, what: string, onData?: (n: number) => void): Promise<void> {
    await this.commit(expected, async (fh) => {
      const h = newHasher();
      let n = 0;
      // Network chunks are small; writing them in batches saves a thread-pool trip per chunk.
      let batch: Uint8Array[] = [];
      let batched = 0;
      for await (const chunk of source) {
        h.update(chunk);
        n += chunk.length;
        if (size !== undefined && n > size) throw new DigestMismatchError(`${what} (more than the ${size} bytes declared)`, expected, 'unknown');
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= WRITE_BATCH_BYTES) {
          await writeAll(fh, batch);
          batch = [];
          batched = 0;
        }
        onData?.(chunk.length);
      }
      await writeAll(fh, batch);
      const actual = hasherDigest(h);
      if (actual !== expected) throw new DigestMismatchError(what, expected, actual);
      if (size !== undefined && n !== size) throw new ImageError(`${what}: ${n} bytes received but the manifest declares ${size}`);
    });
  }

  private async commit(d: Digest, write: (fh: FileHandle) => Promise<void>): Promise<void> {
    const tmp = join(this.ingestDir, `${digestHex(d).slice(0, 16)}-${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      try {
        await write(fh);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path(d));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(this.blobDir).catch(() => [] as string[]);
    return names.map((n) => `sha256:${n}`).filter(isDigest);
  }

  async delete(d: Digest): Promise<void> {
    await rm(this.path(d), { force: true });
  }

  /** Removes abandoned partial downloads (call when no pull is running). */
  async clearIngest(): Promise<number> {
    const names = await readdir(this.ingestDir).catch(() => [] as string[]);
    await Promise.all(names.map((n) => rm(join(this.ingestDir, n), { force: true, recursive: true })));
    return names.length;
  }
}
