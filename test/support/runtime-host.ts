/**
 * Looking at (and, for cleanup, clearing) what containers leave on the host: cgroup
 * directories in every mounted hierarchy, processes, mounts. Used by the runtime tests'
 * leftover checks and by their teardown, which must also work after a failed test.
 */
import { readdir, readFile, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { mountPointsUnder } from '../../node-agent/runtime/mounter.js';

/** The mount points of every cgroup v1 hierarchy and of the v2 hierarchy, in this mount namespace. */
export async function cgroupMounts(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points: string[] = [];
  for (const line of text.split('\n')) {
    const [before, after] = line.split(' - ');
    const fstype = after?.split(' ')[0];
    const point = before?.split(' ')[4];
    if (point && (fstype === 'cgroup' || fstype === 'cgroup2')) points.push(point);
  }
  return points;
}

/** The directories of cgroup `path` (e.g. /parent/id) that exist, across hierarchies. */
export async function cgroupDirs(path: string): Promise<string[]> {
  const found: string[] = [];
  for (const mount of await cgroupMounts()) {
    const dir = join(mount, path);
    if (await exists(dir)) found.push(dir);
  }
  return found;
}

/** The pids in cgroup `path` in any hierarchy (empty when it does not exist). */
export async function cgroupPids(path: string): Promise<number[]> {
  const pids = new Set<number>();
  for (const dir of await cgroupDirs(path)) {
    const text = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const pid of text.split('\n').filter(Boolean)) pids.add(Number(pid));
  }
  return [...pids].sort((a, b) => a - b);
}

/** Processes (not this one) whose cgroup path contains `cgroupFragment` or whose command line contains `argFragment`. */
export async function processesMatching(cgroupFragment: string, argFragment: string): Promise<{ pid: number; why: string }[]> {
  const out: { pid: number; why: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const [cgroup, cmdline] = await Promise.all([
      readFile(`/proc/${entry}/cgroup`, 'utf8').catch(() => ''),
      readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => ''),
    ]);
    const args = cmdline.split('\0').join(' ').trim();
    if (cgroup.split('\n').some((l) => l.includes(cgroupFragment))) out.push({ pid: Number(entry), why: `cgroup: ${args}` });
    else if (args.includes(argFragment)) out.push({ pid: Number(entry), why: `cmdline: ${args}` });
  }
  return out;
}

/** Removes cgroup `path` and everything below it from every hierarchy; its processes must be gone. */
export async function removeCgroupTree(path: string): Promise<void> {
  for (const dir of await cgroupDirs(path)) await rmdirTree(dir);
}

async function rmdirTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await rmdirTree(join(dir, entry.name));
  }
  await rmdir(dir);
}

/** Paths under `dir` (recursively) whose name contains `fragment`. */
export async function entriesNamed(dir: string, fragment: string): Promise<string[]> {
  const found: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.name.includes(fragment)) found.push(path);
    if (entry.isDirectory() && !(await mountPointsUnder(path)).includes(path)) found.push(...(await entriesNamed(path, fragment)));
  }
  return found;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
