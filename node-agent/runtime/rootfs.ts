/**
 * A container's root filesystem: an overlay of the image's read-only layers under a
 * per-container writable upper directory, mounted at `<bundle>/rootfs`.
 *
 * Layout inside the container's directory:
 *   upper/ work/  overlay's upperdir and workdir (same filesystem, as overlay requires)
 *   rootfs/       the mount point
 *   l/0 … l/N-1   only for images whose layer paths do not fit in one mount(2) call: short
 *                 symlinks to the layer directories, 0 = base layer
 */
import { chmod, chown, mkdir, rm, stat, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { InvalidSpecError } from './errors.js';
import { mountPointsUnder, type Mounter } from './mounter.js';

/** The most lower layers overlayfs stacks (OVL_MAX_STACK). */
const maxLayers = 500;
/** mount(2) copies at most one page of option data; the string needs its NUL too. */
const maxMountData = 4095;

/**
 * IdmappedOverlay is used to mount the overlay of a container in a user namespace: on `target`,
 * `layerDirs` (base first) with `dir`/upper and `dir`/work, each layer idmapped.
 */
export type IdmappedOverlay = (target: string, dir: string, layerDirs: readonly string[]) => Promise<void>;

/** Rootfs is used to mount and unmount one container's overlay root filesystem. */
export class Rootfs {
  readonly target: string;
  private readonly linkDir: string;

  constructor(
    private readonly containerDir: string,
    private readonly mounter: Mounter,
  ) {
    this.target = join(containerDir, 'rootfs');
    this.linkDir = join(containerDir, 'l');
  }

  /**
   * Mounts the overlay of `layerDirs` (base first, as images list them). On failure the
   * directories it made are removed again.
   */
  async mount(layerDirs: readonly string[], idmapped?: IdmappedOverlay): Promise<void> {
    if (layerDirs.length === 0) throw new InvalidSpecError('image.layerDirs', 'the image has no layers');
    if (layerDirs.length > maxLayers) {
      throw new InvalidSpecError('image.layerDirs', `${layerDirs.length} layers; overlayfs stacks at most ${maxLayers}`);
    }
    for (const dir of layerDirs) {
      if (!isAbsolute(dir)) throw new InvalidSpecError('image.layerDirs', `'${dir}' is not an absolute path`);
    }
    const made = ['upper', 'work', 'rootfs'].map((d) => join(this.containerDir, d));
    try {
      for (const dir of made) await mkdir(dir, { mode: 0o700 });
      // The upper dir's owner and mode become those of the container's `/`: take the image's.
      const top = await stat(layerDirs[layerDirs.length - 1] as string);
      await chown(join(this.containerDir, 'upper'), top.uid, top.gid);
      await chmod(join(this.containerDir, 'upper'), top.mode & 0o7777);
      if (idmapped) return await idmapped(this.target, this.containerDir, layerDirs);
      // Overlay needs every lowerdir in one mount(2) data string of at most a page. The layer
      // paths themselves fit for images of up to a couple of dozen layers. Beyond, short
      // numbered links (l/0 … l/N-1) fit for most images; for the rest, the mount runs in the
      // link dir with bare numbers as relative paths, which fits for any image overlay takes.
      // (The links are made only when needed: each file costs an inode per container start.)
      const direct = overlayDataFor(layerDirs, this.containerDir);
      // ':' and ',' separate overlay's options: a layer path holding one must go through a link.
      if (direct.length <= maxMountData && !layerDirs.some((d) => /[:,\\]/.test(d))) {
        await this.mounter.mount('overlay', this.target, 'overlay', direct);
        return;
      }
      made.push(this.linkDir);
      await mkdir(this.linkDir, { mode: 0o700 });
      for (const [i, dir] of layerDirs.entries()) await symlink(dir, join(this.linkDir, String(i)));
      const absolute = overlayData(layerDirs.length, this.linkDir);
      if (absolute.length <= maxMountData) await this.mounter.mount('overlay', this.target, 'overlay', absolute);
      else await this.mounter.mount('overlay', this.target, 'overlay', overlayData(layerDirs.length), this.linkDir);
    } catch (err) {
      await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
      throw err;
    }
  }

  /** Whether the rootfs is mounted now. */
  async isMounted(): Promise<boolean> {
    return (await mountPointsUnder(this.target)).includes(this.target);
  }

  /** Unmounts the rootfs (and anything mounted below it) and removes its directories. Idempotent. */
  async unmountAndRemove(): Promise<void> {
    for (const point of await mountPointsUnder(this.target)) {
      try {
        await this.mounter.unmount(point);
      } catch {
        // Busy (a process still has a file open): detach now, the kernel frees it when released.
        await this.mounter.unmount(point, true);
      }
    }
    for (const dir of ['rootfs', 'l', 'work', 'upper']) {
      await rm(join(this.containerDir, dir), { recursive: true, force: true });
    }
  }
}

/** The overlay mount options naming the layer directories themselves (topmost first). */
export function overlayDataFor(layerDirs: readonly string[], containerDir: string): string {
  return `lowerdir=${[...layerDirs].reverse().join(':')},upperdir=${containerDir}/upper,workdir=${containerDir}/work`;
}

/**
 * The overlay mount options for `layers` lower layers linked as 0 … layers-1 in the link
 * dir: absolute under `linkDir` when given, else relative to the link dir. Overlay lists
 * lowerdirs topmost first, the reverse of the image's base-first order.
 */
export function overlayData(layers: number, linkDir?: string): string {
  const links = linkDir === undefined ? '' : `${linkDir}/`;
  const container = linkDir === undefined ? '../' : `${dirname(linkDir)}/`;
  const lower = Array.from({ length: layers }, (_, i) => `${links}${layers - 1 - i}`).join(':');
  return `lowerdir=${lower},upperdir=${container}upper,workdir=${container}work`;
}
