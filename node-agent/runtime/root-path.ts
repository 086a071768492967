/**
 * Looking at files inside a container's rootfs from the host without ever leaving it: an
 * image may hold `/etc/passwd -> ../../../../etc/shadow`, and a plain readFile would follow
 * it onto the host. Resolution is the native addon's resolveInRoot (openat2 with
 * RESOLVE_IN_ROOT): symlinks and `..` are resolved with the rootfs as `/`, and the file is
 * used through the descriptor it returns, so nothing can swap the path in between.
 */
import { closeSync, constants, fstatSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { O_CLOEXEC, O_PATH, resolveInRoot } from '../native/index.js';
import { UnsafeImageFileError } from './errors.js';

/** Errors that mean "there is no such file in the rootfs". */
const absent = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/** The most readFileInRoot reads: far above any real /etc/passwd, far below hurting the agent. */
export const IMAGE_FILE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * The text of a file inside the root, or undefined when it does not exist there (or is a
 * directory). The file is opened with O_PATH first, which never blocks, and read only if it
 * is a regular file of at most `maxBytes`; otherwise UnsafeImageFileError. A plain open of a
 * FIFO would block until a writer came, and a synchronous one would block the event loop.
 * The read itself goes through the thread pool.
 */
export async function readFileInRoot(root: string, path: string, maxBytes = IMAGE_FILE_MAX_BYTES): Promise<string | undefined> {
  let pathFd: number;
  try {
    pathFd = resolveInRoot(root, path, O_PATH | O_CLOEXEC);
  } catch (err) {
    if (absent.has((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw err;
  }
  let file: FileHandle | undefined;
  try {
    const info = fstatSync(pathFd);
    if (info.isDirectory()) return undefined;
    if (!info.isFile()) throw new UnsafeImageFileError(path, `is a ${fileKind(info)}, not a regular file`);
    if (info.size > maxBytes) throw new UnsafeImageFileError(path, `is ${info.size} bytes, more than the ${maxBytes} bytes the agent reads`);
    // Reopened through the descriptor (never the path, which could be swapped meanwhile);
    // O_NONBLOCK as a second guard, should the inode be anything but the file just checked.
    file = await open(`/proc/self/fd/${pathFd}`, constants.O_RDONLY | constants.O_NONBLOCK | O_CLOEXEC);
    const reopened = await file.stat();
    if (reopened.ino !== info.ino || reopened.dev !== info.dev) throw new UnsafeImageFileError(path, 'changed while it was being read');
    // One byte more than the size checked tells a file that grew since.
    const buffer = Buffer.alloc(info.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) throw new UnsafeImageFileError(path, 'grew while it was being read');
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    await file?.close();
    closeSync(pathFd);
  }
}

function fileKind(info: Stats): string {
  if (info.isFIFO()) return 'FIFO';
  if (info.isSocket()) return 'socket';
  if (info.isCharacterDevice()) return 'character device';
  if (info.isBlockDevice()) return 'block device';
  return 'special file';
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
