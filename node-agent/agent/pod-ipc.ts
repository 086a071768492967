import { mkdir, readdir, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { ipcnsCreate, isErrno, MNT_DETACH, mountAsync, umount2Async } from '../native/index.js';

/** What every container of a pod joins besides its network: the pod's IPC namespace and its /dev/shm. */
export interface PodIpcPaths {
  /** The pod's IPC namespace, bound on a file (System V IPC and POSIX message queues shared). */
  ipcnsPath: string;
  /** The pod's /dev/shm: a tmpfs on the host, bound into each container. */
  shmPath: string;
}

/** The size of a pod's /dev/shm: what Docker and containerd give a container (64 MiB). */
export const POD_SHM_SIZE = '65536k';

/** The filesystem magic of nsfs, what a bound namespace file is on (linux/magic.h NSFS_MAGIC). */
const NSFS_MAGIC = 0x6e736673;

// mount(2) flags (linux/mount.h, a fixed ABI): /dev/shm holds no devices, set-id or executable files.
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_NOEXEC = 0x8;

/**
 * PodIpc is used to give each pod an IPC namespace and a /dev/shm of its own, shared by all its
 * containers (init containers included), as a Kubernetes pod sandbox does, kept like the pod's
 * network namespace: made before the pod's first container, kept while the pod is on the node
 * (across agent restarts), removed with the pod.
 *
 * Layout: <dir>/<pod uid>/ns (the bound namespace) and <dir>/<pod uid>/shm (the tmpfs).
 * Lifecycle: setUp(uid) is idempotent (a restarted agent calls it again for each pod it adopts,
 * which keeps what exists: the segments and files in it survive); tearDown(uid) unmounts and
 * removes both (absent is fine); removeOthers(uids), at agent start, tears down every pod's
 * outside `uids` (an agent killed before it removed them).
 */
export class PodIpc {
  constructor(private readonly dir: string) {}

  async setUp(uid: string): Promise<PodIpcPaths> {
    const podDir = join(this.dir, checkedUid(uid));
    const paths = { ipcnsPath: join(podDir, 'ns'), shmPath: join(podDir, 'shm') };
    await mkdir(paths.shmPath, { recursive: true, mode: 0o700 });
    try {
      if (!(await isBoundNamespace(paths.ipcnsPath))) {
        await rm(paths.ipcnsPath, { force: true }); // a plain file a crash left between create and bind
        await ipcnsCreate(paths.ipcnsPath);
      }
      if (!(await isMountPoint(paths.shmPath))) {
        await mountAsync('shm', paths.shmPath, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, `mode=1777,size=${POD_SHM_SIZE}`);
      }
    } catch (err) {
      await this.tearDown(uid).catch(() => undefined); // undo: nothing half made is left
      throw new Error(`setting up the pod's IPC namespace and /dev/shm in ${podDir} failed: ${(err as Error).message}`, { cause: err });
    }
    return paths;
  }

  async tearDown(uid: string): Promise<void> {
    const podDir = join(this.dir, checkedUid(uid));
    for (const path of [join(podDir, 'shm'), join(podDir, 'ns')]) await unmountIfMounted(path);
    await rm(podDir, { recursive: true, force: true });
  }

  async removeOthers(keep: ReadonlySet<string>): Promise<void> {
    let uids: string[];
    try {
      uids = await readdir(this.dir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    for (const uid of uids) if (!keep.has(uid)) await this.tearDown(uid);
  }
}

/** A pod uid names a directory: it must be one plain path component. */
function checkedUid(uid: string): string {
  if (uid === '' || uid === '.' || uid === '..' || uid.includes('/')) throw new Error(`invalid pod uid ${JSON.stringify(uid)}`);
  return uid;
}

async function isBoundNamespace(path: string): Promise<boolean> {
  try {
    return (await statfs(path)).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}

/** A directory is a mount point when it lies on another device than its parent. */
async function isMountPoint(path: string): Promise<boolean> {
  const [own, parent] = await Promise.all([stat(path), stat(join(path, '..'))]);
  return own.dev !== parent.dev;
}

/** Unmounts `path` (detached: a container still using it keeps it until it is gone); not mounted or absent is fine. */
async function unmountIfMounted(path: string): Promise<void> {
  try {
    await umount2Async(path, MNT_DETACH);
  } catch (err) {
    if (!isErrno(err, 'EINVAL') && !isErrno(err, 'ENOENT')) throw new Error(`unmounting ${path} failed: ${(err as Error).message}`, { cause: err });
  }
}
