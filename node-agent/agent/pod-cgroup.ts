import { readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/** podCgroupParent is the cgroup the pod's containers are made under: <node parent>/pod<uid>. */
export function podCgroupParent(nodeParent: string, podUid: string): string {
  return `${nodeParent.replace(/^\/+|\/+$/g, '')}/pod${podUid}`;
}

/**
 * removePodCgroup deletes the pod's (by then empty) cgroup directory in every mounted
 * hierarchy, v1 and v2. The runtime removes each container's own cgroup; the pod level is the
 * agent's.
 */
export async function removePodCgroup(path: string): Promise<void> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    const fstype = after?.split(' ')[0];
    const point = before?.split(' ')[4];
    if (!point || (fstype !== 'cgroup' && fstype !== 'cgroup2')) continue;
    await rmdir(join(point, path)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
