import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

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

/** netnsName is the pod's namespace name under /var/run/netns: berth-<first 12 hex of the uid>. */
export function netnsName(podUid: string): string {
  return `berth-${podUid.replace(/-/g, '').slice(0, 12)}`;
}

/** LoopbackPodNetwork is the PodNetwork with `ip netns` and a loopback interface only. */
export class LoopbackPodNetwork implements PodNetwork {
  async setUp(podUid: string): Promise<{ netnsPath: string }> {
    const name = netnsName(podUid);
    try {
      await run('ip', ['netns', 'add', name]);
    } catch (err) {
      if (!/exists/i.test((err as { stderr?: string }).stderr ?? '')) throw new Error(`ip netns add ${name} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
    }
    try {
      await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    } catch (err) {
      await this.tearDown(podUid); // undo: nothing half made stays behind
      throw err;
    }
    return { netnsPath: `/var/run/netns/${name}` };
  }

  async tearDown(podUid: string): Promise<void> {
    const name = netnsName(podUid);
    try {
      await run('ip', ['netns', 'delete', name]);
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? '';
      if (!/No such file|does not exist|Cannot remove/i.test(stderr)) throw new Error(`ip netns delete ${name} failed: ${stderr || String(err)}`);
    }
  }
}
