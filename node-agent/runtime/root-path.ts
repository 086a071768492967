/**
 * Looking at files inside a container's rootfs from the host without ever leaving it: an
 * image may hold `/etc/passwd -> ../../../../etc/shadow`, and a plain readFile would follow
 * it onto the host. Resolution is the native addon's resolveInRoot (openat2 with
 * RESOLVE_IN_ROOT): symlinks and `..` are resolved with the rootfs as `/`, and the file is
 * used through the descriptor it returns, so nothing can swap the path in between.
 */
import { closeSync, constants, fstatSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { O_CLOEXEC, O_PATH, O_RDONLY, resolveInRoot } from '../native/index.js';

/** Errors that mean "there is no such file in the rootfs". */
const absent = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/** The text of a file inside the root, or undefined when it does not exist there. */
export async function readFileInRoot(root: string, path: string): Promise<string | undefined> {
  let fd: number;
  try {
    fd = resolveInRoot(root, path, O_RDONLY | O_CLOEXEC);
  } catch (err) {
    if (absent.has((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw err;
  }
  try {
    return readFileSync(fd, 'utf8');
  } catch (err) {
    if (absent.has((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw err;
  } finally {
    closeSync(fd);
  }
}

/**
 * Where the command `argv0` is found the way execvp inside the container would find it: a
 * name with a slash as it is (relative to `cwd`), a bare name through each entry of `path`.
 * Returns the path inside the container, or undefined.
 */
export async function findExecutable(root: string, argv0: string, path: string, cwd: string): Promise<string | undefined> {
  const candidates = argv0.includes('/') ? [posix.resolve(cwd, argv0)] : path.split(':').map((dir) => posix.resolve(cwd, dir || '.', argv0));
  for (const candidate of candidates) {
    let fd: number;
    try {
      fd = resolveInRoot(root, candidate, O_PATH | O_CLOEXEC);
    } catch (err) {
      if (absent.has((err as NodeJS.ErrnoException).code ?? '') || (err as NodeJS.ErrnoException).code === 'ELOOP') continue;
      throw err;
    }
    try {
      const info = fstatSync(fd);
      if (info.isFile() && (info.mode & (constants.S_IXUSR | constants.S_IXGRP | constants.S_IXOTH)) !== 0) return candidate;
    } finally {
      closeSync(fd);
    }
  }
  return undefined;
}
