/**
 * Mounting for the runtime, and reading which mounts exist. HostMounter mounts with the
 * native addon's mount(2)/umount2(2), except when the mount data holds paths relative to a
 * directory: overlay's mount data is limited to one page, and the way around it for images
 * with very many layers is relative lowerdir paths, resolved against the cwd of the process
 * that calls mount(2). Node's process.chdir() changes the cwd of every thread (libuv's pool
 * resolves relative paths concurrently), so only a child process with its own cwd can do
 * that safely: mount(8), run with the addon's runCommand (never a shell). Mounts and unmounts
 * run on threads of their own: an overlay mount takes milliseconds, an unmount may flush.
 */
import { readFile, realpath } from 'node:fs/promises';
import { MNT_DETACH, mountAsync, runCommand, umount2Async } from '../native/index.js';

/** Mounter is used to mount and unmount filesystems; tests and other hosts may supply their own. */
export interface Mounter {
  /** mount(2) with `data` as the options; with `cwd`, relative paths inside `data` resolve against it. */
  mount(source: string, target: string, fstype: string, data: string, cwd?: string): Promise<void>;
  /** Unmounts `target`; `detach` is MNT_DETACH (lazy). */
  unmount(target: string, detach?: boolean): Promise<void>;
}

/** HostMounter is used as the default Mounter: the addon's syscalls, mount(8) for relative data. */
export class HostMounter implements Mounter {
  async mount(source: string, target: string, fstype: string, data: string, cwd?: string): Promise<void> {
    if (cwd === undefined) return mountAsync(source, target, fstype, 0, data);
    // -n: no /etc/mtab or utab bookkeeping; -i: no /sbin/mount.<type> helper.
    await run('mount', ['-n', '-i', '-t', fstype, '-o', data, source, target], cwd);
  }

  async unmount(target: string, detach = false): Promise<void> {
    return umount2Async(target, detach ? MNT_DETACH : 0);
  }
}

async function run(command: string, args: string[], cwd: string): Promise<void> {
  const outcome = await runCommand(command, args, { cwd }).catch((err: unknown) => {
    throw new Error(`${command} ${args.join(' ')} failed: ${(err as Error).message}`, { cause: err });
  });
  if (outcome.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${outcome.stderr.trim() || `exit ${outcome.exitCode ?? `signal ${outcome.signal}`}`}`);
}

/** The mount points currently mounted at or below `dir` in this process's mount namespace, deepest first. */
export async function mountPointsUnder(given: string): Promise<string[]> {
  // mountinfo lists resolved paths: a root reached through a symlink must be compared resolved.
  const dir = await realpath(given).catch(() => given);
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map(unescapeMountinfo)
    .filter((p) => p === dir || p.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** mountinfo writes space, tab, newline and backslash in paths as octal escapes. */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
