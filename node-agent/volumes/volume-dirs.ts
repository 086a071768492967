/**
 * Where the volumes of the pods of a node live, and how they go. Layout under the agent's root:
 *   volumes/<pod uid>/empty-dir/<volume>      emptyDir (a tmpfs mounted there for medium Memory)
 *   volumes/<pod uid>/configmap/<volume>      configMap, written by the atomic writer
 *   volumes/<pod uid>/secret/<volume>         secret: a tmpfs, so the data never reaches the disk
 *   volumes/<pod uid>/downward-api/<volume>   downwardAPI
 *   volumes/<pod uid>/projected/<volume>      projected: a tmpfs (it may hold Secret data)
 *   volumes/<pod uid>/volume-subpaths/<volume>/<container>/<mount index>
 *                                             a bind mount of a mount's subPath, made once
 * hostPath volumes have no directory here: the node's path itself is mounted.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MS_BIND, mountAsync } from '../native/index.js';
import type { Volume } from '../../proto/objects/volume.js';
import { mountPointsUnder, type Mounter } from '../runtime/mounter.js';
import type { PinnedPath } from './safe-path.js';

/** VolumeKind is used for the directory a volume's kind lives in under its pod's. */
export type VolumeKind = 'empty-dir' | 'configmap' | 'secret' | 'downward-api' | 'projected';

/** kindOf names the directory of a volume's source; undefined for hostPath (and a volume with no source). */
export function kindOf(volume: Volume): VolumeKind | undefined {
  if (volume.emptyDir) return 'empty-dir';
  if (volume.configMap) return 'configmap';
  if (volume.secret) return 'secret';
  if (volume.downwardAPI) return 'downward-api';
  if (volume.projected) return 'projected';
  return undefined;
}

/** onTmpfs tells whether a volume's directory is a tmpfs: Secret data, and emptyDir medium Memory. */
export function onTmpfs(volume: Volume): boolean {
  return volume.secret !== undefined || volume.projected !== undefined || volume.emptyDir?.medium === 'Memory';
}

/**
 * VolumeDirs is used for the per-pod volume directories of a node: where each is, whether its
 * tmpfs is mounted, and removing a pod's (mounts first, never following a symlink a container
 * left) when the pod goes, or when an agent restart finds a pod it no longer has.
 */
export class VolumeDirs {
  readonly root: string;

  constructor(agentRoot: string, private readonly mounter: Mounter) {
    this.root = join(agentRoot, 'volumes');
  }

  podDir(uid: string): string {
    return join(this.root, uid);
  }

  volumeDir(uid: string, kind: VolumeKind, name: string): string {
    return join(this.root, uid, kind, name);
  }

  async isMounted(dir: string): Promise<boolean> {
    return (await mountPointsUnder(dir)).includes(dir);
  }

  /** mountTmpfs mounts a tmpfs on `dir` (made if missing) unless one is mounted there already. */
  async mountTmpfs(dir: string, options: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    if (await this.isMounted(dir)) return;
    await this.mounter.mount('tmpfs', dir, 'tmpfs', options);
  }

  /**
   * bindSubPath gives the path to mount for a container's subPath mount: the subPath, checked and
   * held open by `pin`, bound to the pod's volume-subpaths directory. The runtime binds that
   * path: it cannot bind the agent's open file itself from its own mount namespace. Made once per
   * container and mount; a restarted container gets the same (a subPath never updates).
   */
  async bindSubPath(uid: string, volume: string, container: string, index: number, pin: () => Promise<PinnedPath>): Promise<string> {
    const target = join(this.root, uid, 'volume-subpaths', volume, container, String(index));
    if (await this.isMounted(target)) return target;
    const pinned = await pin();
    try {
      await mkdir(dirname(target), { recursive: true, mode: 0o750 });
      if (pinned.isDirectory) await mkdir(target, { recursive: true });
      else await writeFile(target, '', { flag: 'a' });
      await mountAsync(pinned.path, target, '', MS_BIND);
    } finally {
      await pinned.close();
    }
    return target;
  }

  /** remove unmounts everything under the pod's directory (deepest first), then deletes it. */
  async remove(uid: string): Promise<void> {
    const dir = this.podDir(uid);
    for (const point of await mountPointsUnder(dir)) await this.mounter.unmount(point, true);
    const left = await mountPointsUnder(dir);
    // Deleting under a mount still there would delete what the mount shows.
    if (left.length > 0) throw new Error(`volumes of pod ${uid} are still mounted at ${left.join(', ')}`);
    await rm(dir, { recursive: true, force: true });
  }

  /** removeOthers removes the volume directories of every pod not in `keep` (left by a pod removed while the agent was down). */
  async removeOthers(keep: ReadonlySet<string>): Promise<string[]> {
    const uids = await readdir(this.root).catch(() => [] as string[]);
    const removed: string[] = [];
    for (const uid of uids) {
      if (keep.has(uid)) continue;
      await this.remove(uid);
      removed.push(uid);
    }
    return removed;
  }
}
