/**
 * LayerDirs is used by the layer unpacker to open (and create) the parent directory of each
 * tar entry inside the layer root. Directory fds are cached by path, so entries of one
 * directory (the common case: tar lists a directory's children together) cost no path walk.
 *
 * Safety: every fd comes from resolveInRoot (openat2 RESOLVE_IN_ROOT), so it is inside the
 * root. A cached fd stays correct only while nothing on its path is removed or replaced, so
 * the unpacker calls invalidate() whenever it removes anything; the fds are closed at the next
 * open(), so the one the current entry holds stays valid until the entry is done.
 */
import { closeSync } from 'node:fs';

import * as native from '../native/index.js';

const DIR_FLAGS = native.O_RDONLY | native.O_DIRECTORY;
// Bounds the open fds of one unpack; layers with more directories just walk more often.
const MAX_CACHED = 64;

export class LayerDirs {
  private readonly cache = new Map<string, number>();
  private stale = false;

  constructor(private readonly rootFd: number) {}

  /**
   * The directory `parts` below the root, missing ones created (0755, root-owned, their
   * metadata set when their own entry comes). The fd belongs to the cache: do not close it.
   */
  open(parts: readonly string[]): number {
    if (this.stale) this.close();
    if (parts.length === 0) return this.rootFd;
    const key = parts.join('/');
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const fd = this.resolveOrCreate(parts);
    if (this.cache.size >= MAX_CACHED) this.close();
    this.cache.set(key, fd);
    return fd;
  }

  /** Forgets every cached fd from the next open() on (after a removal, a cached path may lead elsewhere). */
  invalidate(): void {
    this.stale = true;
  }

  /** Closes every cached fd (also at the end of the unpack). */
  close(): void {
    for (const fd of this.cache.values()) closeSync(fd);
    this.cache.clear();
    this.stale = false;
  }

  private resolveOrCreate(parts: readonly string[]): number {
    try {
      return native.resolveInRoot(this.rootFd, parts.join('/'), DIR_FLAGS);
    } catch (e) {
      if (!native.isErrno(e, 'ENOENT')) throw e;
    }
    const parent = this.open(parts.slice(0, -1));
    try {
      native.mkdirat(parent, parts[parts.length - 1] as string, 0o755);
    } catch (e) {
      // EEXIST here means a dangling symlink: its target must not be created implicitly.
      if (!native.isErrno(e, 'EEXIST')) throw e;
    }
    return native.resolveInRoot(this.rootFd, parts.join('/'), DIR_FLAGS);
  }
}
