/**
 * Unpacks one layer tar into its own directory, producing an overlayfs lower layer: tar
 * whiteouts `.wh.<name>` become 0:0 character devices, `.wh..wh..opq` becomes
 * `trusted.overlay.opaque=y` on its directory. Modes, owners, mtimes, symlinks and hardlinks
 * (within the layer) are kept; device nodes are skipped (containers get /dev from the runtime).
 *
 * Safety against hostile layers: every path is resolved inside the layer directory with the
 * addon's resolveInRoot (openat2 RESOLVE_IN_ROOT), and the final component is created with
 * `*at` calls that never follow it. Names with ".." are refused; absolute names and symlink
 * targets are taken relative to the layer root, so nothing outside the directory is touched.
 */
import { closeSync, fchmodSync, fchownSync, rmSync, writeSync } from 'node:fs';

import * as native from '../native/index.js';
import { LayerUnpackError } from './errors.js';
import { LayerDirs } from './layer-dirs.js';
import type { TarEntry, TarHeader } from './tar-reader.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_WHITEOUT = '.wh..wh..opq';
const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** An entry the unpacker deliberately did not create, with why. */
export interface SkippedEntry {
  name: string;
  reason: string;
}

/** UnpackResult summarizes one unpacked layer. */
export interface UnpackResult {
  entries: number;
  whiteouts: number;
  opaqueDirs: number;
  skipped: SkippedEntry[];
}

const DIR_FLAGS = native.O_RDONLY | native.O_DIRECTORY;

/** Splits a tar name into components below the root; undefined if it contains "..". */
export function layerPathComponents(name: string): string[] | undefined {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  return parts.includes('..') ? undefined : parts;
}

/** Unpacks `entries` into the existing, empty directory `dir`. */
export async function unpackLayer(entries: AsyncIterable<TarEntry>, dir: string, layer: string): Promise<UnpackResult> {
  const rootFd = native.openat(native.AT_FDCWD, dir, DIR_FLAGS | native.O_NOFOLLOW);
  const dirs = new LayerDirs(rootFd);
  const u = new Unpacker(rootFd, dirs, layer);
  try {
    for await (const entry of entries) await u.add(entry);
    u.finish();
  } finally {
    dirs.close();
    closeSync(rootFd);
  }
  return u.result;
}

class Unpacker {
  readonly result: UnpackResult = { entries: 0, whiteouts: 0, opaqueDirs: 0, skipped: [] };
  // Directory mtimes are set last: creating their children would change them again.
  private readonly dirTimes: Array<{ parts: string[]; h: TarHeader }> = [];

  constructor(
    private readonly rootFd: number,
    private readonly dirs: LayerDirs,
    private readonly layer: string,
  ) {}

  async add(entry: TarEntry): Promise<void> {
    const h = entry.header;
    this.result.entries++;
    const parts = layerPathComponents(h.name);
    if (parts === undefined) return this.skip(h.name, 'name contains ".." and would leave the layer');
    const base = parts[parts.length - 1];
    if (base === undefined) return this.root(h);
    // Owned by the directory cache: valid for this entry, closed by the cache.
    const parentFd = this.wrap(h.name, () => this.dirs.open(parts.slice(0, -1)));
    if (base === OPAQUE_WHITEOUT) {
      this.wrap(h.name, () => native.fsetxattr(parentFd, OPAQUE_XATTR, 'y'));
      this.result.opaqueDirs++;
    } else if (base.startsWith(WHITEOUT_PREFIX)) {
      this.whiteout(parentFd, base.slice(WHITEOUT_PREFIX.length), h);
    } else {
      await this.create(parentFd, base, parts, entry);
    }
  }

  finish(): void {
    for (const { parts, h } of this.dirTimes.reverse()) {
      const base = parts[parts.length - 1];
      const name = parts.join('/');
      if (base === undefined) {
        native.futimens(this.rootFd, [h.mtimeSec, h.mtimeNsec], [h.mtimeSec, h.mtimeNsec]);
        continue;
      }
      this.wrap(name, () => {
        const fd = native.resolveInRoot(this.rootFd, parts.slice(0, -1).join('/'), native.O_PATH | native.O_DIRECTORY);
        try {
          native.utimensat(fd, base, [h.mtimeSec, h.mtimeNsec], [h.mtimeSec, h.mtimeNsec], native.AT_SYMLINK_NOFOLLOW);
        } finally {
          closeSync(fd);
        }
      });
    }
  }

  private skip(name: string, reason: string): void {
    this.result.skipped.push({ name, reason });
  }

  // Runs a syscall sequence, turning its errno error into a LayerUnpackError naming the entry.
  private wrap<T>(name: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof LayerUnpackError) throw e;
      throw new LayerUnpackError(this.layer, name, (e as Error).message);
    }
  }

  // The "." entry: metadata of the layer root itself.
  private root(h: TarHeader): void {
    if (h.type !== 'directory') return this.skip(h.name, 'the layer root must be a directory');
    fchownSync(this.rootFd, h.uid, h.gid);
    fchmodSync(this.rootFd, h.mode);
    this.dirTimes.push({ parts: [], h });
  }

  private whiteout(parentFd: number, target: string, h: TarHeader): void {
    if (target === '' || target === '.' || target === '..' || target.startsWith(WHITEOUT_PREFIX)) {
      return this.skip(h.name, 'not a whiteout Berth understands');
    }
    this.wrap(h.name, () => this.replacing(parentFd, target, () => native.mknodat(parentFd, target, native.S_IFCHR, 0, 0)));
    this.result.whiteouts++;
  }

  // Creates `name` with `make`; if something is there already, a later entry replaces it as
  // in tar: remove it, then create again. (Trying first saves a stat per entry.)
  private replacing<T>(parentFd: number, name: string, make: () => T): T {
    try {
      return make();
    } catch (e) {
      if (!native.isErrno(e, 'EEXIST')) throw e;
    }
    this.removeExisting(parentFd, name);
    return make();
  }

  // Removes whatever is at `name` (a directory with its contents), never following a symlink.
  private removeExisting(parentFd: number, name: string): void {
    let st: native.StatAt;
    try {
      st = native.fstatat(parentFd, name, native.AT_SYMLINK_NOFOLLOW);
    } catch (e) {
      if (native.isErrno(e, 'ENOENT')) return;
      throw e;
    }
    // A cached directory fd may lead through what is removed here.
    this.dirs.invalidate();
    if ((st.mode & native.S_IFMT) !== native.S_IFDIR) return native.unlinkat(parentFd, name);
    // The fd pins the parent, so this path cannot be redirected; rm does not follow symlinks.
    rmSync(`/proc/self/fd/${parentFd}/${name}`, { recursive: true, force: true });
  }

  private async create(parentFd: number, base: string, parts: string[], entry: TarEntry): Promise<void> {
    const h = entry.header;
    const times: [number, number] = [h.mtimeSec, h.mtimeNsec];
    switch (h.type) {
      case 'directory':
        return this.wrap(h.name, () => {
          try {
            native.mkdirat(parentFd, base, 0o700);
          } catch (e) {
            if (!native.isErrno(e, 'EEXIST')) throw e;
            // An existing directory is kept (with its contents); anything else is replaced.
            const isDir = (native.fstatat(parentFd, base, native.AT_SYMLINK_NOFOLLOW).mode & native.S_IFMT) === native.S_IFDIR;
            if (!isDir) {
              this.removeExisting(parentFd, base);
              native.mkdirat(parentFd, base, 0o700);
            }
          }
          const fd = native.openat(parentFd, base, DIR_FLAGS | native.O_NOFOLLOW);
          try {
            this.setXattrs(fd, h);
            fchownSync(fd, h.uid, h.gid);
            fchmodSync(fd, h.mode);
          } finally {
            closeSync(fd);
          }
          this.dirTimes.push({ parts, h });
        });
      case 'file':
        return this.writeFile(parentFd, base, entry);
      case 'symlink':
        return this.wrap(h.name, () => {
          this.replacing(parentFd, base, () => native.symlinkat(h.linkname, parentFd, base));
          native.fchownat(parentFd, base, h.uid, h.gid, native.AT_SYMLINK_NOFOLLOW);
          native.utimensat(parentFd, base, times, times, native.AT_SYMLINK_NOFOLLOW);
        });
      case 'hardlink':
        return this.hardlink(parentFd, base, h);
      case 'fifo':
        return this.wrap(h.name, () => {
          this.replacing(parentFd, base, () => native.mknodat(parentFd, base, native.S_IFIFO | 0o600));
          native.fchownat(parentFd, base, h.uid, h.gid, native.AT_SYMLINK_NOFOLLOW);
          native.fchmodat(parentFd, base, h.mode, native.AT_SYMLINK_NOFOLLOW);
          native.utimensat(parentFd, base, times, times, native.AT_SYMLINK_NOFOLLOW);
        });
      case 'chardev':
      case 'blockdev':
        return this.skip(h.name, `${h.type} ${h.devmajor}:${h.devminor} not created; containers get /dev from the runtime`);
    }
  }

  private async writeFile(parentFd: number, base: string, entry: TarEntry): Promise<void> {
    const h = entry.header;
    const fd = this.wrap(h.name, () =>
      this.replacing(parentFd, base, () => native.openat(parentFd, base, native.O_WRONLY | native.O_CREAT | native.O_EXCL | native.O_NOFOLLOW, 0o600)),
    );
    try {
      for await (const chunk of entry.body()) {
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      }
      this.wrap(h.name, () => {
        this.setXattrs(fd, h);
        fchownSync(fd, h.uid, h.gid);
        fchmodSync(fd, h.mode); // after chown, which clears setuid/setgid
        native.futimens(fd, [h.mtimeSec, h.mtimeNsec], [h.mtimeSec, h.mtimeNsec]);
      });
    } finally {
      closeSync(fd);
    }
  }

  private hardlink(parentFd: number, base: string, h: TarHeader): void {
    const target = layerPathComponents(h.linkname);
    const targetBase = target?.[target.length - 1];
    if (target === undefined || targetBase === undefined) {
      return this.skip(h.name, `hardlink target "${h.linkname}" is outside the layer`);
    }
    this.wrap(h.name, () => {
      // Resolved inside the root; linkat without AT_SYMLINK_FOLLOW links a final symlink itself.
      const tfd = native.resolveInRoot(this.rootFd, target.slice(0, -1).join('/'), native.O_PATH | native.O_DIRECTORY);
      try {
        const src = native.fstatat(tfd, targetBase, native.AT_SYMLINK_NOFOLLOW);
        const dst = (() => {
          try {
            return native.fstatat(parentFd, base, native.AT_SYMLINK_NOFOLLOW);
          } catch {
            return undefined;
          }
        })();
        if (dst !== undefined && dst.ino === src.ino && dst.dev === src.dev) return;
        this.removeExisting(parentFd, base);
        native.linkat(tfd, targetBase, parentFd, base, 0);
      } finally {
        closeSync(tfd);
      }
    });
  }

  // pax SCHILY.xattr.* (file capabilities, for example). Overlay's own attributes are not
  // taken from a layer: only whiteout entries may make a directory opaque.
  private setXattrs(fd: number, h: TarHeader): void {
    for (const [name, value] of Object.entries(h.xattrs)) {
      if (name.startsWith('trusted.overlay.')) {
        this.skip(h.name, `xattr ${name} not applied`);
        continue;
      }
      try {
        native.fsetxattr(fd, name, value);
      } catch (e) {
        this.skip(h.name, `xattr ${name} not applied: ${(e as Error).message}`);
      }
    }
  }
}
