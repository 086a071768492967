import { chmod, chown, lstat, mkdir, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod } from '../../proto/objects/pod.js';
import type { Volume } from '../../proto/objects/volume.js';
import { memoryBytes } from '../../proto/quantity.js';
import type { PodFacts } from '../agent/downward-env.js';
import { ContainerConfigError } from '../config/config-error.js';
import type { ConfigObjects } from '../config/config-objects.js';
import type { BindMount } from '../runtime/index.js';
import { DATA_DIR, writeAtomically, type Ownership } from './atomic-writer.js';
import { prepareHostPath } from './host-path.js';
import { pinSubPath, VolumePathError } from './safe-path.js';
import { kindOf, onTmpfs, type VolumeDirs } from './volume-dirs.js';
import { referencedObjects, volumeFiles } from './volume-files.js';

/**
 * VolumeError is used for a volume that could not be set up: `cause` is a ContainerConfigError
 * (a missing ConfigMap or Secret), a HostPathTypeError, a VolumePathError or an I/O error. The
 * message is the kubelet's FailedMount wording.
 */
export class VolumeError extends Error {
  override readonly name = 'VolumeError';
  constructor(readonly volume: string, override readonly cause: Error) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${cause.message}`);
  }
}

/** VolumeSetUp is used for the outcome of a pod's volume sync that did not stop its start. */
export interface VolumeSetUp {
  /** Volumes set up before whose update failed: they keep their last content (as the kubelet's). */
  staleWarnings: string[];
}

/**
 * NodeVolumes is used by pod workers for the volumes of their pods, one per agent.
 *
 * Lifecycle of a pod's volumes: setUp() before the pod's first container is made, and again on
 * every sync of the worker (it rewrites a configMap, secret, downwardAPI or projected volume,
 * atomically, only when its content changed, so mounted files follow the objects and the pod's
 * labels within seconds); mountsFor() for each container created; exceededLimit() on each sync
 * (a disk emptyDir over its sizeLimit gets the pod evicted); tearDown() once the pod's
 * containers are removed. removeOthers() at agent start removes what pods removed meanwhile left.
 */
export class NodeVolumes {
  constructor(private readonly dirs: VolumeDirs, private readonly config: ConfigObjects) {}

  /**
   * setUp makes every volume of `pod` ready. Throws VolumeError when one cannot be set up (a
   * configMap/secret/projected one set up before keeps its content instead: a stale warning).
   */
  async setUp(pod: Pod, facts: PodFacts): Promise<VolumeSetUp> {
    const ownership = fsGroupOf(pod);
    const staleWarnings: string[] = [];
    for (const volume of pod.spec.volumes ?? []) {
      try {
        await this.setUpOne(pod, volume, facts, ownership, staleWarnings);
      } catch (err) {
        throw new VolumeError(volume.name, err instanceof Error ? err : new Error(String(err)));
      }
    }
    return { staleWarnings };
  }

  private async setUpOne(pod: Pod, volume: Volume, facts: PodFacts, ownership: Ownership | undefined, staleWarnings: string[]): Promise<void> {
    if (volume.hostPath) return prepareHostPath(volume.hostPath);
    const kind = kindOf(volume);
    if (!kind) return;
    const dir = this.dirs.volumeDir(pod.metadata.uid ?? '', kind, volume.name);
    if (volume.emptyDir) return this.setUpEmptyDir(volume, dir, ownership);
    if (onTmpfs(volume)) await this.dirs.mountTmpfs(dir, 'mode=0755');
    const existed = (await readlink(join(dir, DATA_DIR)).catch(() => undefined)) !== undefined;
    try {
      await writeAtomically(dir, volumeFiles(volume, { pod, config: this.config, facts }), ownership);
    } catch (err) {
      if (!existed || !(err instanceof ContainerConfigError)) throw err;
      staleWarnings.push(`MountVolume.SetUp failed for volume "${volume.name}" : ${err.message}`);
    }
  }

  /** setUpEmptyDir makes the emptyDir once; later syncs leave it (and what containers did to its mode) alone. */
  private async setUpEmptyDir(volume: Volume, dir: string, ownership: Ownership | undefined): Promise<void> {
    if (volume.emptyDir?.medium === 'Memory') {
      if (await this.dirs.isMounted(dir)) return;
      const limit = volume.emptyDir.sizeLimit;
      await this.dirs.mountTmpfs(dir, `mode=0777${limit !== undefined ? `,size=${memoryBytes(limit)}` : ''}`);
    } else {
      if (await lstat(dir).then(() => true, () => false)) return;
      await mkdir(dir, { recursive: true, mode: 0o777 });
    }
    // Group-owned and setgid with fsGroup, so what any container writes stays the group's.
    if (ownership) await chown(dir, 0, ownership.gid);
    await chmod(dir, ownership ? 0o2777 : 0o777);
  }

  /**
   * mountsFor gives container `c` its volumeMounts as bind mounts. A configMap, secret,
   * downwardAPI or projected volume is always read-only (as Kubernetes mounts them); a read-only
   * mount is read-only recursively. A subPath is resolved inside the volume (never out of it)
   * and bound, from the file held open after that check, to a directory of the pod
   * (VolumeDirs.bindSubPath): what is mounted is what was checked, and stays as it was then.
   */
  async mountsFor(pod: Pod, c: Container): Promise<BindMount[]> {
    const uid = pod.metadata.uid ?? '';
    const byName = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
    const mounts: BindMount[] = [];
    for (const [index, m] of (c.volumeMounts ?? []).entries()) {
      const volume = byName.get(m.name);
      if (!volume) throw new Error(`volumeMount ${JSON.stringify(m.name)} of container ${c.name} names no volume of the pod`);
      const kind = kindOf(volume);
      const source = volume.hostPath ? volume.hostPath.path : kind ? this.dirs.volumeDir(uid, kind, volume.name) : undefined;
      if (source === undefined) throw new Error(`volume ${JSON.stringify(volume.name)} has no source Berth supports`);
      const hostPath = m.subPath ? await this.subPathSource(uid, volume.name, c.name, index, source, m.subPath) : source;
      const readOnly = m.readOnly === true || (kind !== undefined && kind !== 'empty-dir');
      mounts.push({ hostPath, containerPath: m.mountPath, ...(readOnly ? { readOnly: true, recursiveReadOnly: true } : {}), ...(volume.hostPath ? { keepHostIds: true } : {}) });
    }
    return mounts;
  }

  /** subPathSource binds a mount's subPath (VolumeDirs.bindSubPath); one that leaves its volume is a ContainerConfigError, as in Kubernetes. */
  private async subPathSource(uid: string, volume: string, container: string, index: number, source: string, subPath: string): Promise<string> {
    try {
      return await this.dirs.bindSubPath(uid, volume, container, index, () => pinSubPath(source, subPath));
    } catch (err) {
      if (!(err instanceof VolumePathError)) throw err;
      throw new ContainerConfigError(`failed to prepare subPath for volumeMount "${volume}" of container "${container}": ${err.message}`);
    }
  }

  /** exceededLimit is Kubernetes' eviction message when a disk emptyDir of the pod holds more than its sizeLimit. */
  async exceededLimit(pod: Pod): Promise<string | undefined> {
    const uid = pod.metadata.uid ?? '';
    for (const volume of pod.spec.volumes ?? []) {
      const limit = volume.emptyDir?.sizeLimit;
      if (limit === undefined || volume.emptyDir?.medium === 'Memory') continue;
      const used = await diskUsage(this.dirs.volumeDir(uid, 'empty-dir', volume.name));
      if (used > memoryBytes(limit)) return `Usage of EmptyDir volume "${volume.name}" exceeds the limit "${String(limit)}". `;
    }
    return undefined;
  }

  /** hasLimitedDisk tells whether the pod has a disk emptyDir with a sizeLimit (its usage is measured). */
  hasLimitedDisk(pod: Pod): boolean {
    return (pod.spec.volumes ?? []).some((v) => v.emptyDir?.sizeLimit !== undefined && v.emptyDir.medium !== 'Memory');
  }

  /** watch calls `changed` whenever a ConfigMap or Secret the pod's volumes refer to changes; returns the function that stops it. */
  watch(pod: () => Pod, changed: () => void): () => void {
    return this.config.onChange((kind, namespace, name) => {
      const p = pod();
      if ((p.metadata.namespace ?? 'default') !== namespace) return;
      const refs = referencedObjects(p.spec.volumes ?? []);
      if ((kind === 'ConfigMap' ? refs.configMaps : refs.secrets).has(name)) changed();
    });
  }

  /** tearDown removes every volume directory (and tmpfs) of pod `uid`. */
  tearDown(uid: string): Promise<void> {
    return this.dirs.remove(uid);
  }

  /** removeOthers removes the volumes of every pod not in `keep`; returns their uids. */
  removeOthers(keep: ReadonlySet<string>): Promise<string[]> {
    return this.dirs.removeOthers(keep);
  }
}

function fsGroupOf(pod: Pod): Ownership | undefined {
  const gid = pod.spec.securityContext?.fsGroup;
  return gid === undefined ? undefined : { gid };
}

/** diskUsage is what `du` counts: allocated blocks of everything below `dir`, symlinks not followed. */
async function diskUsage(dir: string): Promise<number> {
  const stat = await lstat(dir).catch(() => undefined);
  if (!stat) return 0;
  let total = stat.blocks * 512;
  if (!stat.isDirectory()) return total;
  for (const entry of await readdir(dir).catch(() => [] as string[])) total += await diskUsage(join(dir, entry));
  return total;
}
