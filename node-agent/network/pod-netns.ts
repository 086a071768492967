import { mkdir, rm } from 'node:fs/promises';
import { isErrno, MNT_DETACH, mount, MS_BIND, MS_REC, MS_SHARED, netnsCreate, netnsLoopbackUp, umount2Async } from '../native/index.js';

/**
 * PodNetwork is used to give each pod its network namespace, shared by all its containers.
 *
 * Lifecycle: setUp(pod) makes the namespace (idempotent: an agent restart calls it again for a
 * pod that has one) and returns the path containers join; tearDown(pod) removes it and
 * everything attached (absent is fine). Today: loopback only. CNI (bridge + host-local) comes
 * with the networking issue, behind this same interface; it will also return the pod's IP.
 */
export interface PodNetwork {
  setUp(podUid: string): Promise<{ netnsPath: string; podIP?: string }>;
  tearDown(podUid: string): Promise<void>;
}

/** Where named network namespaces are bound, as `ip netns` keeps them. */
const NETNS_DIR = '/var/run/netns';

/** netnsName is the pod's namespace name under /var/run/netns: berth-<first 12 hex of the uid>. */
export function netnsName(podUid: string): string {
  return `berth-${podUid.replace(/-/g, '').slice(0, 12)}`;
}

/**
 * LoopbackPodNetwork is the PodNetwork with a loopback interface only. The namespaces are the
 * ones `ip netns add` makes (a bind mount under /var/run/netns, so `ip netns exec berth-…`
 * works for debugging), but made in-process by the addon: a pod start costs no `ip` process,
 * and no fork of the agent.
 */
export class LoopbackPodNetwork implements PodNetwork {
  private dirReady: Promise<void> | undefined;

  async setUp(podUid: string): Promise<{ netnsPath: string }> {
    const path = `${NETNS_DIR}/${netnsName(podUid)}`;
    await (this.dirReady ??= prepareNetnsDir().catch((err: unknown) => {
      this.dirReady = undefined;
      throw err;
    }));
    try {
      await netnsCreate(path);
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw new Error(`setting up network namespace ${path} failed: ${(err as Error).message}`, { cause: err });
      // Made before (an agent restart): only make sure its loopback is up.
      try {
        await netnsLoopbackUp(path);
      } catch (upErr) {
        await this.tearDown(podUid); // undo: a file that is no namespace, or a broken one, goes
        throw new Error(`network namespace ${path} exists but is unusable: ${(upErr as Error).message}`, { cause: upErr });
      }
    }
    return { netnsPath: path };
  }

  async tearDown(podUid: string): Promise<void> {
    const path = `${NETNS_DIR}/${netnsName(podUid)}`;
    try {
      // Detached: a container still holding the namespace keeps it until it is gone.
      await umount2Async(path, MNT_DETACH);
    } catch (err) {
      // Not mounted (EINVAL: a plain file left by a crash) or absent: the file still goes.
      if (!isErrno(err, 'EINVAL') && !isErrno(err, 'ENOENT')) throw new Error(`removing network namespace ${path} failed: ${(err as Error).message}`, { cause: err });
    }
    await rm(path, { force: true });
  }
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
