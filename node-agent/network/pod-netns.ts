/**
 * Pod network namespaces, made the way `ip netns add` makes them (a bind mount under
 * /var/run/netns, so `ip netns exec berth-…` works for debugging) but in-process by the addon:
 * making one costs no `ip` process and no fork of the agent.
 */
import { mkdir, rm, statfs } from 'node:fs/promises';
import { isErrno, MNT_DETACH, mount, MS_BIND, MS_REC, MS_SHARED, netnsCreate, netnsLoopbackUp, umount2Async } from '../native/index.js';
import { NETNS_DIR } from './pod-network.js';

let dirReady: Promise<void> | undefined;

/**
 * createPodNetns makes the namespace bound at `path` with its loopback up, and says whether it
 * made it (false: it existed, e.g. across an agent restart; its loopback is then made sure of).
 * A file there that is no usable namespace is removed, and the error thrown.
 */
export async function createPodNetns(path: string): Promise<boolean> {
  await (dirReady ??= prepareNetnsDir().catch((err: unknown) => {
    dirReady = undefined;
    throw err;
  }));
  try {
    await netnsCreate(path);
    return true;
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw new Error(`setting up network namespace ${path} failed: ${(err as Error).message}`, { cause: err });
  }
  try {
    await netnsLoopbackUp(path);
  } catch (upErr) {
    await removePodNetns(path); // undo: a file that is no namespace, or a broken one, goes
    throw new Error(`network namespace ${path} exists but is unusable: ${(upErr as Error).message}`, { cause: upErr });
  }
  return false;
}

/** The filesystem magic of nsfs, what a bound namespace file is on (linux/magic.h NSFS_MAGIC). */
const NSFS_MAGIC = 0x6e736673;

/** isBoundNetns tells whether `path` is a bound namespace (not absent, and not a plain file a crash left). */
export async function isBoundNetns(path: string): Promise<boolean> {
  try {
    return (await statfs(path)).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}

/** removePodNetns unbinds and removes the namespace at `path`; absent is fine. */
export async function removePodNetns(path: string): Promise<void> {
  try {
    // Detached: a container still holding the namespace keeps it until it is gone.
    await umount2Async(path, MNT_DETACH);
  } catch (err) {
    // Not mounted (EINVAL: a plain file left by a crash) or absent: the file still goes.
    if (!isErrno(err, 'EINVAL') && !isErrno(err, 'ENOENT')) throw new Error(`removing network namespace ${path} failed: ${(err as Error).message}`, { cause: err });
  }
  await rm(path, { force: true });
}

/**
 * Makes /var/run/netns a shared mount, as `ip netns add` does, so a namespace bound there is
 * seen in mount namespaces made after it (a container's, `ip netns exec`'s). Idempotent.
 */
async function prepareNetnsDir(): Promise<void> {
  await mkdir(NETNS_DIR, { recursive: true, mode: 0o755 });
  try {
    mount('none', NETNS_DIR, 'none', MS_SHARED | MS_REC);
  } catch (err) {
    if (!isErrno(err, 'EINVAL')) throw err;
    // Not a mount point yet: bind it onto itself, then it can be made shared.
    mount(NETNS_DIR, NETNS_DIR, 'none', MS_BIND | MS_REC);
    mount('none', NETNS_DIR, 'none', MS_SHARED | MS_REC);
  }
}
