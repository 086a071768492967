/**
 * Paths inside a volume that a pod spec names (an item's `path`, a mount's `subPath`): they must
 * stay inside the volume, whatever the spec says and whatever symlinks the volume holds.
 */
import { lstat, mkdir, open, readlink, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { O_CLOEXEC, O_NOFOLLOW, O_PATH } from '../native/index.js';

/** VolumePathError is used for a path of the spec that would leave its volume. */
export class VolumePathError extends Error {
  override readonly name = 'VolumePathError';
}

/**
 * safeRelativePath checks a relative path of the spec: not empty, not absolute, no `..`
 * element. Returns it without empty or `.` elements. `field` names it in the error.
 */
export function safeRelativePath(path: string, field: string): string {
  if (path === '') throw new VolumePathError(`${field} must not be empty`);
  if (path.startsWith('/')) throw new VolumePathError(`${field} ${JSON.stringify(path)} must be a relative path`);
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new VolumePathError(`${field} ${JSON.stringify(path)} must not contain '..'`);
  if (parts.length === 0) throw new VolumePathError(`${field} ${JSON.stringify(path)} names no file`);
  // The atomic writer's own entries (..data, ..<timestamp>) start so.
  if (parts[0]?.startsWith('..')) throw new VolumePathError(`${field} ${JSON.stringify(path)} must not start with '..'`);
  return parts.join('/');
}

/**
 * resolveSubPath resolves `subPath` inside the volume at `volumeDir`, creating the directories
 * that are missing (as the kubelet does), and returns the real path to bind. Every element is
 * checked once it exists: a symlink the container left in the volume that points outside it
 * (absolute or by `..`) is refused, not followed.
 */
export async function resolveSubPath(volumeDir: string, subPath: string): Promise<string> {
  const clean = safeRelativePath(subPath, 'subPath');
  const root = await realpath(volumeDir);
  let current = root;
  for (const part of clean.split('/')) {
    const next = join(current, part);
    const stat = await lstat(next).catch(() => undefined);
    if (!stat) await mkdir(next, { mode: 0o755 });
    current = await realpath(next);
    if (!inside(current, root)) throw new VolumePathError(`subPath ${JSON.stringify(subPath)} leaves the volume (through a symlink to ${current})`);
  }
  return current;
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root + sep);
}

/** PinnedPath is used for a subPath held open after its check: `path` reaches exactly what was checked. */
export interface PinnedPath {
  /** `/proc/<agent pid>/fd/<n>`: bind-mounting it mounts the opened file or directory, whatever its path became since. */
  path: string;
  isDirectory: boolean;
  close(): Promise<void>;
}

/**
 * pinSubPath resolves `subPath` (resolveSubPath) and holds the result open (O_PATH), checking
 * the open file is inside the volume. Between a check of a path and its mount, a container that
 * shares the volume could swap a directory for a symlink; bind-mounting the open file (as the
 * kubelet does) leaves it no such window. The caller closes it once bound.
 */
export async function pinSubPath(volumeDir: string, subPath: string): Promise<PinnedPath> {
  const resolved = await resolveSubPath(volumeDir, subPath);
  const root = await realpath(volumeDir);
  const handle = await open(resolved, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  try {
    const opened = await readlink(`/proc/self/fd/${handle.fd}`);
    if (!inside(opened, root)) throw new VolumePathError(`subPath ${JSON.stringify(subPath)} leaves the volume (it became ${opened})`);
    const isDirectory = (await handle.stat()).isDirectory();
    return { path: `/proc/${process.pid}/fd/${handle.fd}`, isDirectory, close: () => handle.close() };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
