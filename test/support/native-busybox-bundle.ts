/**
 * Busybox OCI bundles for the berth-runtime tests and benchmark: a root filesystem made from
 * Debian's busybox-static (the binary plus one symlink per applet) and a config.json shaped
 * like the one `crun spec` writes, so crun and runc can run the very same bundle.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BUSYBOX = '/bin/busybox';

/** Capabilities Docker grants by default (moby `oci/caps/defaults.go`). */
export const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const CAP_NUMBERS: Record<string, number> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_DAC_READ_SEARCH: 2, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5, CAP_SETGID: 6,
  CAP_SETUID: 7, CAP_SETPCAP: 8, CAP_NET_BIND_SERVICE: 10, CAP_NET_RAW: 13, CAP_SYS_CHROOT: 18, CAP_SYS_ADMIN: 21,
  CAP_MKNOD: 27, CAP_AUDIT_WRITE: 29, CAP_SETFCAP: 31,
};

/** The CapEff line value (16 hex digits) /proc/self/status shows for a set of capabilities. */
export function capMask(caps: string[]): string {
  let mask = 0n;
  for (const c of caps) {
    const bit = CAP_NUMBERS[c];
    if (bit === undefined) throw new Error(`capMask: unknown capability ${c}`);
    mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}

/** Builds a busybox root filesystem in a new temp dir; returns its path. Remove it with rmSync. */
export function makeBusyboxRootfs(): string {
  const root = mkdtempSync(join(tmpdir(), 'native-rootfs-'));
  chmodSync(root, 0o755); // mkdtemp makes it 0700: no other uid could enter the container's /
  for (const d of ['bin', 'proc', 'sys', 'dev', 'etc', 'tmp', 'root', 'home/app', 'mnt']) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(root, 'bin', a));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\napp:x:1000:\nextra:x:2000:\n');
  return root;
}

/** The parts of an OCI config.json the tests change; everything else is `crun spec`'s. */
export interface BundleOptions {
  rootfs: string;
  args: string[];
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number; additionalGids?: number[] };
  hostname?: string;
  capabilities?: string[];
  cgroupsPath: string;
  resources?: Record<string, unknown>;
  namespaces?: Array<{ type: string; path?: string }>;
  /** linux.uidMappings and gidMappings (one range, the same for both). */
  idMap?: { containerID: number; hostID: number; size: number };
  /** Appended to crun spec's mounts. */
  extraMounts?: Array<{ destination: string; type?: string; source?: string; options?: string[] }>;
  extra?: Record<string, unknown>;
  /** linux.seccomp, when given. */
  seccomp?: unknown;
  /** process.noNewPrivileges (true when absent). */
  noNewPrivileges?: boolean;
}

/** The config.json `crun spec` produces, with terminal off and the given overrides. */
export function specConfig(o: BundleOptions): Record<string, unknown> {
  const caps = o.capabilities ?? ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
  return {
    ociVersion: '1.0.0',
    process: {
      terminal: false,
      user: o.user ?? { uid: 0, gid: 0 },
      args: o.args,
      env: o.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: o.cwd ?? '/',
      capabilities: { bounding: caps, effective: caps, inheritable: [], permitted: caps, ambient: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: o.noNewPrivileges ?? true,
    },
    root: { path: o.rootfs, readonly: true },
    hostname: o.hostname ?? 'crun',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
      ...(o.extraMounts ?? []),
    ],
    linux: {
      cgroupsPath: o.cgroupsPath,
      ...(o.idMap ? { uidMappings: [o.idMap], gidMappings: [o.idMap] } : {}),
      resources: { devices: [{ allow: false, access: 'rwm' }], ...(o.resources ?? {}) },
      namespaces: o.namespaces ?? [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      ...(o.seccomp !== undefined ? { seccomp: o.seccomp } : {}),
    },
    ...(o.extra ?? {}),
  };
}

/** Writes a bundle directory (config.json only; root.path points at the shared rootfs). */
export function makeBundle(parent: string, name: string, o: BundleOptions): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(specConfig(o), null, 2));
  return dir;
}

export function removeDir(path: string | undefined): void {
  if (path) rmSync(path, { recursive: true, force: true });
}
