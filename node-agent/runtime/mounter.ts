/**
 * Mounting for the runtime, and reading which mounts exist. HostMounter mounts with the
 * native addon's mount(2)/umount2(2), except when the mount data holds paths relative to a
 * directory: overlay's mount data is limited to one page, and the way around it for images
 * with very many layers is relative lowerdir paths, resolved against the cwd of the process
 * that calls mount(2). Node's process.chdir() changes the cwd of every thread (libuv's pool
 * resolves relative paths concurrently), so only a child process with its own cwd can do
 * that safely: mount(8), run with execFile (never a shell).
 */
import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { promisify } from 'node:util';
import { MNT_DETACH, mount, umount2 } from '../native/index.js';

const execFileAsync = promisify(execFile);

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
    if (cwd === undefined) {
      mount(source, target, fstype, 0, data);
      return;
    }
    // -n: no /etc/mtab or utab bookkeeping; -i: no /sbin/mount.<type> helper.
    await run('mount', ['-n', '-i', '-t', fstype, '-o', data, source, target], cwd);
  }

  async unmount(target: string, detach = false): Promise<void> {
    umount2(target, detach ? MNT_DETACH : 0);
  }
}

async function run(command: string, args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync(command, args, { cwd });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr || (err as Error).message}`, { cause: err });
  }
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
