/**
 * Typed access to the berth_native addon: the Linux syscalls the node agent needs that Node
 * lacks. Functions are synchronous and throw an error shaped like Node's
 * fs errors: `code` ('ENOENT'…), `errno` (negative), `syscall`, and `path`; those returning a
 * Promise run on a thread of their own and reject with such an error.
 *
 * Paths given as Buffers are passed through byte for byte; strings are encoded as UTF-8.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A path argument: a string (UTF-8) or raw bytes. */
export type PathArg = string | Buffer;

/** NativeError is what every addon function throws: an Error carrying errno details. */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
  dest?: string;
}

/** StatAt is the subset of stat(2) that fstatat returns. */
export interface StatAt {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  ino: number;
  dev: number;
  nlink: number;
  rdevMajor: number;
  rdevMinor: number;
  mtimeSec: number;
  mtimeNsec: number;
}

/** What runCommand reports of a command that ran. */
export interface CommandOutcome {
  /** The exit status, or null when a signal ended it. */
  exitCode: number | null;
  /** The number of the signal that ended it, or null. */
  signal: number | null;
  stdout: string;
  stderr: string;
  /** Killed with SIGKILL because timeoutMs passed. */
  timedOut: boolean;
  /** Killed with SIGKILL because an output grew past maxOutput. */
  overflowed: boolean;
}

/** Options of runCommand. */
export interface CommandOptions {
  /** The working directory of the command (default: the agent's). */
  cwd?: string;
  /** Written to its standard input, which is then closed (default: /dev/null). */
  input?: string;
  /** Killed with SIGKILL after this long (default: never). */
  timeoutMs?: number;
  /** Bytes per output stream before it is killed (default 16 MiB). */
  maxOutput?: number;
  /** Variables set for the command on top of the agent's environment (a name given here wins). */
  env?: Readonly<Record<string, string>>;
  /**
   * Run it (and whatever it starts) under SCHED_IDLE: it gets the CPU only when nothing else of
   * its scheduling group wants it, for background work that must never slow what runs now.
   */
  idle?: boolean;
}

/** What spawnAttached returns: the child and the agent's ends of its sockets (non-blocking). */
export interface AttachedChild {
  pid: number;
  /** The child's stdin, or null when it reads /dev/null. */
  stdin: number | null;
  stdout: number;
  stderr: number;
  /** The child's fd 3. */
  control: number;
}

/** How a child started by spawnAttached ended. */
export interface ChildEnd {
  /** The exit status, or null when a signal ended it. */
  exitCode: number | null;
  /** The number of the signal that ended it, or null. */
  signal: number | null;
}

interface Addon {
  spawnAttached(file: string, argv: string[], env: string[], options: { stdin?: boolean }): AttachedChild;
  waitChild(pid: number): Promise<ChildEnd>;
  runCommand(file: string, argv: string[], env: string[], options: CommandOptions): Promise<CommandOutcome>;
  markTopDir(path: PathArg): boolean;
  netnsCreate(path: PathArg): Promise<void>;
  netnsLoopbackUp(path: PathArg): Promise<void>;
  ipcnsCreate(path: PathArg): Promise<void>;
  netnsConnect(netnsPath: PathArg, host: string, port: number, timeoutMs: number): Promise<number>;
  mountAsync(source: PathArg, target: PathArg, fstype: PathArg, flags?: number, data?: PathArg): Promise<void>;
  umount2Async(target: PathArg, flags?: number): Promise<void>;
  mkdirat(dirfd: number, path: PathArg, mode?: number): void;
  openat(dirfd: number, path: PathArg, flags?: number, mode?: number): number;
  symlinkat(target: PathArg, dirfd: number, path: PathArg): void;
  linkat(olddirfd: number, oldpath: PathArg, newdirfd: number, newpath: PathArg, flags?: number): void;
  fchownat(dirfd: number, path: PathArg, uid: number, gid: number, flags?: number): void;
  fchmodat(dirfd: number, path: PathArg, mode: number, flags?: number): void;
  utimensat(dirfd: number, path: PathArg, aSec: number, aNsec: number, mSec: number, mNsec: number, flags?: number): void;
  futimens(fd: number, aSec: number, aNsec: number, mSec: number, mNsec: number): void;
  unlinkat(dirfd: number, path: PathArg, flags?: number): void;
  mknodat(dirfd: number, path: PathArg, mode: number, major?: number, minor?: number): void;
  fstatat(dirfd: number, path: PathArg, flags?: number): StatAt;
  resolveInRoot(root: number | PathArg, relPath: PathArg, flags?: number): number;
  setOpenat2Disabled(disabled: boolean): void;
  mount(source: PathArg, target: PathArg, fstype: PathArg, flags?: number, data?: PathArg): void;
  lgetxattr(path: PathArg, name: string): Buffer;
  fsetxattr(fd: number, name: string, value: string | Buffer, flags?: number): void;
  fsConstants: Record<string, number>;
  mountConstants: Record<string, number>;
}

// The .node file sits in node-agent/native/build/Release; this module runs either from
// dist/node-agent/native (compiled) or from node-agent/native (sources).
function loadAddon(): Addon {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'build', 'Release', 'berth_native.node'),
    join(here, '..', '..', '..', 'node-agent', 'native', 'build', 'Release', 'berth_native.node'),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new Error(
      `berth_native addon not built (looked in ${candidates.join(', ')}); run \`npm run install\` in the repository root`,
    );
  }
  return createRequire(import.meta.url)(found) as Addon;
}

const addon = loadAddon();

function need(table: Record<string, number>, name: string): number {
  const v = table[name];
  if (v === undefined) throw new Error(`berth_native: constant ${name} missing`);
  return v;
}
const fsc = addon.fsConstants;
const mc = addon.mountConstants;

/** open(2)/`*at` flags and file-type bits. */
export const O_RDONLY = need(fsc, 'O_RDONLY');
export const O_WRONLY = need(fsc, 'O_WRONLY');
export const O_CREAT = need(fsc, 'O_CREAT');
export const O_EXCL = need(fsc, 'O_EXCL');
export const O_NOFOLLOW = need(fsc, 'O_NOFOLLOW');
export const O_DIRECTORY = need(fsc, 'O_DIRECTORY');
export const O_PATH = need(fsc, 'O_PATH');
export const O_CLOEXEC = need(fsc, 'O_CLOEXEC');
export const AT_FDCWD = need(fsc, 'AT_FDCWD');
export const AT_SYMLINK_NOFOLLOW = need(fsc, 'AT_SYMLINK_NOFOLLOW');
export const S_IFMT = need(fsc, 'S_IFMT');
export const S_IFDIR = need(fsc, 'S_IFDIR');
export const S_IFCHR = need(fsc, 'S_IFCHR');
export const S_IFIFO = need(fsc, 'S_IFIFO');

/** mount(2)/umount2(2) flags. */
export const MS_BIND = need(mc, 'MS_BIND');
export const MS_REC = need(mc, 'MS_REC');
export const MS_SHARED = need(mc, 'MS_SHARED');
export const MNT_DETACH = need(mc, 'MNT_DETACH');

/** True when `err` is an error thrown by the addon (or Node's fs) with the given code. */
export function isErrno(err: unknown, code: string): err is NativeError {
  return err instanceof Error && (err as Partial<NativeError>).code === code;
}

// Mounts.
export const mount = (source: PathArg, target: PathArg, fstype: PathArg, flags = 0, data?: PathArg): void =>
  addon.mount(source, target, fstype, flags, data);
/** mount(2) on a thread of its own, so a slow mount never holds up the agent's JS thread. */
export const mountAsync = (source: PathArg, target: PathArg, fstype: PathArg, flags = 0, data?: PathArg): Promise<void> =>
  addon.mountAsync(source, target, fstype, flags, data);
/** umount2(2) on a thread of its own (an unmount can wait on writeback). */
export const umount2Async = (target: PathArg, flags = 0): Promise<void> => addon.umount2Async(target, flags);

/**
 * Marks a directory as the top of a hierarchy for ext4's Orlov allocator (chattr +T): its
 * subdirectories are spread over block groups instead of piling into its own (addon/inode_flags.cc
 * says why that matters). False when the filesystem has no such flag.
 */
export const markTopDir = (path: PathArg): boolean => addon.markTopDir(path);

// Network namespaces, each call on a thread of its own that enters the namespace and ends.
/** A new network namespace bound on `path` (which must not exist: EEXIST), its loopback up. */
export const netnsCreate = (path: PathArg): Promise<void> => addon.netnsCreate(path);
/** Sets the loopback of the network namespace bound on `path` up. */
export const netnsLoopbackUp = (path: PathArg): Promise<void> => addon.netnsLoopbackUp(path);
/** A new IPC namespace bound on `path` (which must not exist: EEXIST), for the containers of one pod to share. */
export const ipcnsCreate = (path: PathArg): Promise<void> => addon.ipcnsCreate(path);
/**
 * A TCP connection to host:port (an IP address) made inside the network namespace bound on
 * `netnsPath`, within `timeoutMs`: resolves with the connected socket's descriptor (non-blocking,
 * close-on-exec) for net.Socket; rejects with ECONNREFUSED, ETIMEDOUT… (syscall connect).
 */
export const netnsConnect = (netnsPath: PathArg, host: string, port: number, timeoutMs: number): Promise<number> => addon.netnsConnect(netnsPath, host, port, timeoutMs);

/** The environment commands run with: the agent's, as "NAME=value" strings, read once. */
let commandEnv: string[] | undefined;

/**
 * Runs `file` (a path, or a name looked up in PATH) with `args` to its end and captures its
 * output. Unlike child_process it never forks the agent: posix_spawn (vfork-like) on a thread
 * of its own, which also reads the output and reaps the command. Resolves however the command
 * ends; rejects only when it could not be started (ENOENT, EACCES… with syscall posix_spawn).
 */
export function runCommand(file: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandOutcome> {
  commandEnv ??= Object.entries(process.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  const { env: extra, ...rest } = options;
  return addon.runCommand(file, [file, ...args], extra ? withVariables(commandEnv, extra) : commandEnv, rest);
}

/** withVariables is `env` with the variables of `extra` added, replacing those of the same name. */
function withVariables(env: readonly string[], extra: Readonly<Record<string, string>>): string[] {
  const names = new Set(Object.keys(extra));
  return [...env.filter((entry) => !names.has(entry.slice(0, entry.indexOf('=')))), ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)];
}

/**
 * Starts `file` (a path) with `args` and stays connected to it: its stdin (with `stdin`),
 * stdout, stderr and fd 3 are each one end of a socketpair whose other end is returned, for
 * net.Socket. Like runCommand it never forks the agent (posix_spawn). The caller must reap the
 * child with waitChild. Throws (syscall posix_spawn or socketpair) when nothing could start.
 */
export function spawnAttached(file: string, args: readonly string[], options: { stdin?: boolean; env?: readonly string[] } = {}): AttachedChild {
  return addon.spawnAttached(file, [file, ...args], [...(options.env ?? [])], { stdin: options.stdin ?? false });
}

/** Resolves once a child of spawnAttached has ended, reaping it (waitpid on a thread of its own). */
export const waitChild = (pid: number): Promise<ChildEnd> => addon.waitChild(pid);

// Device nodes (overlay whiteouts, a layer's character devices and fifos).
export const mknodat = (dirfd: number, path: PathArg, mode: number, major = 0, minor = 0): void =>
  addon.mknodat(dirfd, path, mode, major, minor);

// Extended attributes.
export const fsetxattr = (fd: number, name: string, value: string | Buffer, flags = 0): void =>
  addon.fsetxattr(fd, name, value, flags);
/** Returns the attribute's bytes, never following a final symlink; throws ENODATA when it is absent. */
export const lgetxattr = (path: PathArg, name: string): Buffer => addon.lgetxattr(path, name);

/**
 * Opens `relPath` inside `root` (an open directory fd or a host path) as if `root` were "/":
 * symlinks and ".." can never leave it. Uses openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS),
 * or an equivalent O_NOFOLLOW component walk where openat2 is ENOSYS. `flags` are open(2)
 * flags for the final component (default O_PATH; add O_NOFOLLOW to not follow a final
 * symlink). Returns a file descriptor the caller must close, so nothing can swap the path
 * between resolving and using it. The agent's one way to resolve a path inside a root: the
 * layer unpacker and runtime/root-path.ts use it (berth-runtime has its own, in C).
 */
export const resolveInRoot = (root: number | PathArg, relPath: PathArg, flags = O_PATH): number =>
  addon.resolveInRoot(root, relPath, flags);
/** Tests only: force resolveInRoot onto its fallback walk, as on a kernel without openat2. */
export const setOpenat2Disabled = (disabled: boolean): void => addon.setOpenat2Disabled(disabled);

// The *at family: operate on a name relative to a directory fd (O_CLOEXEC is always added).
export const mkdirat = (dirfd: number, path: PathArg, mode = 0o777): void => addon.mkdirat(dirfd, path, mode);
export const openat = (dirfd: number, path: PathArg, flags = O_RDONLY, mode = 0o666): number =>
  addon.openat(dirfd, path, flags, mode);
export const symlinkat = (target: PathArg, dirfd: number, path: PathArg): void => addon.symlinkat(target, dirfd, path);
export const linkat = (olddirfd: number, oldpath: PathArg, newdirfd: number, newpath: PathArg, flags = 0): void =>
  addon.linkat(olddirfd, oldpath, newdirfd, newpath, flags);
export const fchownat = (dirfd: number, path: PathArg, uid: number, gid: number, flags = 0): void =>
  addon.fchownat(dirfd, path, uid, gid, flags);
/** With AT_SYMLINK_NOFOLLOW, a symlink is refused with EOPNOTSUPP rather than followed. */
export const fchmodat = (dirfd: number, path: PathArg, mode: number, flags = 0): void =>
  addon.fchmodat(dirfd, path, mode, flags);
/** Times are [seconds, nanoseconds] pairs. */
export const utimensat = (
  dirfd: number,
  path: PathArg,
  atime: readonly [number, number],
  mtime: readonly [number, number],
  flags = 0,
): void => addon.utimensat(dirfd, path, atime[0], atime[1], mtime[0], mtime[1], flags);
export const futimens = (fd: number, atime: readonly [number, number], mtime: readonly [number, number]): void =>
  addon.futimens(fd, atime[0], atime[1], mtime[0], mtime[1]);
export const unlinkat = (dirfd: number, path: PathArg, flags = 0): void => addon.unlinkat(dirfd, path, flags);
export const fstatat = (dirfd: number, path: PathArg, flags = 0): StatAt => addon.fstatat(dirfd, path, flags);
