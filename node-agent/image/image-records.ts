/**
 * ImageRecords are the store's names: one JSON file per normalized reference under
 * `<root>/images/`, pointing at content by digest. An image "exists" when its record does.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Digest } from './digest.js';

/** ImageRecord is what the store remembers about a pulled reference. */
export interface ImageRecord {
  reference: string;
  /** What the reference resolved to: the index digest for multi-platform images. */
  digest: Digest;
  indexDigest?: Digest;
  manifestDigest: Digest;
  configDigest: Digest;
  layers: Array<{ digest: Digest; diffId: Digest; mediaType: string; size: number }>;
  pulledAt: string;
}

export class ImageRecords {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, 'images');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private file(reference: string): string {
    return join(this.dir, `${createHash('sha256').update(reference).digest('hex')}.json`);
  }

  async get(reference: string): Promise<ImageRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.file(reference), 'utf8')) as ImageRecord;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Writes atomically (temp file, then rename): a reader sees the old record or the new. */
  async put(r: ImageRecord): Promise<void> {
    const tmp = join(this.dir, `.tmp-${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, JSON.stringify(r, null, 2), { mode: 0o600 });
    await rename(tmp, this.file(r.reference));
  }

  async delete(reference: string): Promise<boolean> {
    try {
      await rm(this.file(reference));
      return true;
    } catch {
      return false;
    }
  }

  async list(): Promise<ImageRecord[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    const out: ImageRecord[] = [];
    for (const n of names) {
      try {
        out.push(JSON.parse(await readFile(join(this.dir, n), 'utf8')) as ImageRecord);
      } catch {
        // removed concurrently
      }
    }
    return out.sort((a, b) => a.reference.localeCompare(b.reference));
  }
}
