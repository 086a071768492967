/**
 * The kubelet's atomic writer: the files of a configMap, secret, downwardAPI or projected
 * volume change all at once, never one by one, and a reader never sees a half-written file.
 *
 * Layout of a volume directory written here (as the kubelet's):
 *   ..2026_12_07_23_10_00.123456789/   one timestamped directory per version, holding the files
 *   ..data -> ..2026_12_07_23_10_00.123456789   the current version
 *   key -> ..data/key                  one symlink per top-level entry, made once
 * An update writes a new version directory, then swaps `..data` with a rename(2) of a fresh
 * symlink over it (atomic), then removes the old version and the top-level links no longer used.
 */
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile, chmod, chown } from 'node:fs/promises';
import { join } from 'node:path';
import { safeRelativePath } from './safe-path.js';

/** The name of the symlink to the current version. */
export const DATA_DIR = '..data';

/** FileContent is used for one file a volume holds: its bytes and its mode bits. */
export interface FileContent {
  data: Buffer;
  mode: number;
}

/** Ownership is used for what fsGroup asks of a volume's files: their group, and group read. */
export interface Ownership {
  gid: number;
}

/**
 * writeAtomically makes `dir` hold exactly `files` (relative path -> content). Returns false,
 * touching nothing, when it already does. Throws for a path that is absolute, has a `..`
 * element or is empty (never written outside `dir`).
 */
export async function writeAtomically(dir: string, files: ReadonlyMap<string, FileContent>, ownership?: Ownership): Promise<boolean> {
  for (const path of files.keys()) safeRelativePath(path, 'path');
  if (await holds(dir, files, ownership)) return false;
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const version = `..${timestamp()}`;
  const versionDir = join(dir, version);
  await mkdir(versionDir, { mode: 0o755 });
  for (const [path, content] of files) {
    const target = join(versionDir, path);
    await mkdir(join(target, '..'), { recursive: true, mode: 0o755 });
    await writeFile(target, content.data, { mode: content.mode });
    // writeFile's mode is masked by the umask; the volume's mode bits are exact.
    await chmod(target, fileMode(content.mode, ownership));
    if (ownership) await chown(target, 0, ownership.gid);
  }
  if (ownership) {
    await chownTree(versionDir, ownership.gid);
    await chown(dir, 0, ownership.gid);
    await chmod(dir, 0o2755);
  }
  const previous = await readlink(join(dir, DATA_DIR)).catch(() => undefined);
  const tmpLink = join(dir, '..data_tmp');
  await rm(tmpLink, { force: true });
  await symlink(version, tmpLink);
  await rename(tmpLink, join(dir, DATA_DIR));
  const tops = new Set([...files.keys()].map((p) => p.split('/')[0] ?? p));
  for (const top of tops) {
    const link = join(dir, top);
    const existing = await lstat(link).catch(() => undefined);
    if (existing?.isSymbolicLink()) continue;
    if (existing) await rm(link, { recursive: true, force: true });
    await symlink(join(DATA_DIR, top), link);
  }
  for (const entry of await readdir(dir)) {
    if (entry === DATA_DIR || entry === version) continue;
    if (entry.startsWith('..')) {
      if (entry === previous || /^\.\.\d{4}_/.test(entry)) await rm(join(dir, entry), { recursive: true, force: true });
      continue;
    }
    if (!tops.has(entry)) await rm(join(dir, entry), { recursive: true, force: true });
  }
  return true;
}

/** The mode a file gets: the asked bits; with fsGroup, read for owner and group too (the kubelet's SetVolumeOwnership of a read-only volume). */
function fileMode(mode: number, ownership: Ownership | undefined): number {
  return ownership ? mode | 0o440 : mode;
}

async function chownTree(dir: string, gid: number): Promise<void> {
  await chown(dir, 0, gid);
  // setgid: what a container makes inside belongs to the volume's group too.
  await chmod(dir, 0o2755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await chownTree(join(dir, entry.name), gid);
  }
}

/** holds tells whether the current version already has exactly these files, bytes and modes. */
async function holds(dir: string, files: ReadonlyMap<string, FileContent>, ownership: Ownership | undefined): Promise<boolean> {
  const current = await readlink(join(dir, DATA_DIR)).catch(() => undefined);
  if (current === undefined) return false;
  const base = join(dir, current);
  const present = await listFiles(base).catch(() => undefined);
  if (!present || present.length !== files.size) return false;
  for (const [path, content] of files) {
    const stat = await lstat(join(base, path)).catch(() => undefined);
    if (!stat?.isFile() || (stat.mode & 0o7777) !== fileMode(content.mode, ownership)) return false;
    if (ownership && stat.gid !== ownership.gid) return false;
    const data = await readFile(join(base, path));
    if (!data.equals(content.data)) return false;
  }
  return true;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

/** The kubelet's version directory name: UTC time down to the nanosecond (unique per volume). */
function timestamp(): string {
  const now = new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const nanos = process.hrtime.bigint() % 1_000_000_000n;
  return `${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}.${String(nanos).padStart(9, '0')}`;
}
