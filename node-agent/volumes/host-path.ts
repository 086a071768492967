/**
 * A hostPath volume's `type` checks, with the kubelet's rules and messages: the `...OrCreate`
 * types make what is missing (a directory 0755 with its parents, an empty file 0644 whose
 * directory must exist); the others require the path to exist and be of that type. `''` checks
 * nothing. The path is followed through symlinks, as stat(2) does.
 */
import { mkdir, open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { HostPathVolumeSource } from '../../proto/objects/volume.js';

/** HostPathTypeError is used for a hostPath whose node path is not what its `type` asks. */
export class HostPathTypeError extends Error {
  override readonly name = 'HostPathTypeError';
}

const TYPES: Record<string, { test: (s: Stats) => boolean; what: string }> = {
  Directory: { test: (s) => s.isDirectory(), what: 'a directory' },
  DirectoryOrCreate: { test: (s) => s.isDirectory(), what: 'a directory' },
  File: { test: (s) => s.isFile(), what: 'a file' },
  FileOrCreate: { test: (s) => s.isFile(), what: 'a file' },
  Socket: { test: (s) => s.isSocket(), what: 'a socket file' },
  CharDevice: { test: (s) => s.isCharacterDevice(), what: 'a character device' },
  BlockDevice: { test: (s) => s.isBlockDevice(), what: 'a block device' },
};

/** prepareHostPath runs the type check of `source` (making the path for the OrCreate types); throws HostPathTypeError. */
export async function prepareHostPath(source: HostPathVolumeSource): Promise<void> {
  const type = source.type ?? '';
  const rule = TYPES[type];
  if (!rule) return;
  const { path } = source;
  let found = await stat(path).catch(() => undefined);
  if (!found && type === 'DirectoryOrCreate') {
    await mkdir(path, { recursive: true, mode: 0o755 });
    found = await stat(path);
  }
  if (!found && type === 'FileOrCreate') {
    // 'wx': made only if still absent; the kubelet does not create the file's directory either.
    const handle = await open(path, 'wx', 0o644).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return undefined;
      throw new HostPathTypeError(`hostPath type check failed: ${path} could not be created: ${err.message}`);
    });
    await handle?.close();
    found = await stat(path);
  }
  if (!found || !rule.test(found)) throw new HostPathTypeError(`hostPath type check failed: ${path} is not ${rule.what}`);
}
