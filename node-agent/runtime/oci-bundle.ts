/**
 * Turns an image, a Kubernetes-shaped container spec and the pod's options into an OCI
 * runtime-spec config.json. `buildOciSpec` is pure; `writeOciSpec` puts it into a bundle.
 * Defaults (capabilities, mounts, masked paths) follow Docker and containerd, so a workload
 * that runs there runs here with the same privileges.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResourceRequirements, SecurityContext } from '../../proto/objects/pod.js';
import { cpuMillis, memoryBytes } from '../../proto/quantity.js';
import type { ContainerSpec, ImageForContainer, PodOptions } from './container-spec.js';
import { envList, resolveArgv, resolveEnv, resolveWorkingDir } from './container-spec.js';
import { InvalidSpecError } from './errors.js';
import type { OciDevice, OciMount, OciNamespace, OciResources, OciSeccomp, OciSpec } from './oci-types.js';
import { defaultSeccompProfile } from './seccomp-default.js';
import { checkIdsInRange, inUserNamespace } from './user-namespace.js';
import type { ProcessUser } from './user.js';

/** Docker's default capability set: what a container keeps of root's privileges. */
export const defaultCapabilities: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Every capability the kernel knows (Linux 6.x), for validating securityContext.capabilities. */
const knownCapabilities = new Set(
  [
    'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
    'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
    'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
    'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
    'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
    'CHECKPOINT_RESTORE',
  ].map((c) => `CAP_${c}`),
);

/** /proc and /sys paths hidden from the container (containerd's defaults): they leak host data. */
export const defaultMaskedPaths: readonly string[] = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** /proc paths the container may read but not write (containerd's defaults): they change the host. */
export const defaultReadonlyPaths: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The pids limit when the runtime's options give none. */
export const defaultPidsLimit = 4096;

/** The CFS period the quota is a share of, in microseconds (Kubernetes' default). */
export const cpuPeriodUs = 100_000;

const defaultMounts: readonly OciMount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  {
    destination: '/dev/pts',
    type: 'devpts',
    source: 'devpts',
    options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
  },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
];

/** The minimal /dev every container gets (the OCI spec's default devices). */
const defaultDevices: readonly OciDevice[] = [
  ['/dev/null', 1, 3],
  ['/dev/zero', 1, 5],
  ['/dev/full', 1, 7],
  ['/dev/random', 1, 8],
  ['/dev/urandom', 1, 9],
  ['/dev/tty', 5, 0],
].map(([path, major, minor]) => ({
  path: path as string,
  type: 'c' as const,
  major: major as number,
  minor: minor as number,
  fileMode: 0o666,
  uid: 0,
  gid: 0,
}));

/** BundleInput is used for everything buildOciSpec needs; all of it already resolved. */
export interface BundleInput {
  containerId: string;
  container: ContainerSpec;
  image: ImageForContainer;
  pod: PodOptions;
  /** Resolved against the rootfs beforehand (see user.ts). */
  user: ProcessUser;
  /** Used when the pod gives no cgroupParent. */
  defaultCgroupParent: string;
  pidsLimit: number;
  annotations?: Record<string, string>;
}

/** Builds the config.json for one container. Throws InvalidSpecError for a spec it cannot honour. */
export function buildOciSpec(input: BundleInput): OciSpec {
  const { container, pod, user } = input;
  const imageConfig = input.image.config.config ?? {};
  const extraEnv: Record<string, string> = { HOME: user.home };
  if (pod.hostname) extraEnv['HOSTNAME'] = pod.hostname;
  const env = resolveEnv(container, imageConfig, extraEnv);
  const security = container.securityContext ?? {};
  if (security.privileged) {
    throw new InvalidSpecError('securityContext.privileged', 'privileged containers are not supported: add the capabilities the container needs instead');
  }
  const caps = capabilities(security);
  const parent = (pod.cgroupParent ?? input.defaultCgroupParent).replace(/^\/+|\/+$/g, '');
  const spec: OciSpec = {
    ociVersion: '1.1.0',
    process: {
      terminal: false,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args: resolveArgv(container, imageConfig),
      env: envList(env),
      cwd: resolveWorkingDir(container, imageConfig),
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      // Hardening by default; only an explicit allowPrivilegeEscalation lifts it.
      noNewPrivileges: security.allowPrivilegeEscalation !== true,
    },
    root: { path: 'rootfs', readonly: security.readOnlyRootFilesystem === true },
    ...(pod.hostname ? { hostname: pod.hostname } : {}),
    mounts: [...defaultMounts.map((m) => (m.destination === '/dev/shm' && pod.shmPath ? podShm(pod.shmPath) : { ...m, options: [...m.options] })), ...bindMounts(pod)],
    annotations: { ...input.annotations },
    linux: {
      namespaces: namespaces(pod),
      resources: resources(container.resources ?? {}, input.pidsLimit),
      cgroupsPath: parent === '' ? `/${input.containerId}` : `/${parent}/${input.containerId}`,
      devices: defaultDevices.map((d) => ({ ...d })),
      maskedPaths: [...defaultMaskedPaths],
      readonlyPaths: [...defaultReadonlyPaths],
      ...seccomp(security, pod, caps),
    },
  };
  if (!pod.userNamespace) return spec;
  checkIdsInRange(pod.userNamespace, [['securityContext.runAsUser', user.uid], ['securityContext.runAsGroup', user.gid], ...user.additionalGids.map((g, i): [string, number] => [`supplementalGroups[${i}]`, g])]);
  const nodeFiles = new Set((pod.mounts ?? []).filter((m) => m.keepHostIds).map((m) => m.containerPath));
  return inUserNamespace(spec, pod.userNamespace, (m) => !nodeFiles.has(m.destination));
}

/**
 * Docker's default set with securityContext.capabilities applied: `drop` first (`ALL` drops
 * every one), then `add`. Names may omit the CAP_ prefix, as Kubernetes manifests do.
 */
export function capabilities(security: SecurityContext): string[] {
  const normalize = (list: string[] | undefined, field: string) =>
    (list ?? []).map((name, i) => {
      const upper = name.toUpperCase();
      if (upper === 'ALL') return 'ALL';
      const cap = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
      if (!knownCapabilities.has(cap)) throw new InvalidSpecError(`securityContext.capabilities.${field}[${i}]`, `'${name}' is not a capability`);
      return cap;
    });
  const drop = normalize(security.capabilities?.drop, 'drop');
  const add = normalize(security.capabilities?.add, 'add');
  if (add.includes('ALL')) {
    throw new InvalidSpecError('securityContext.capabilities.add', "adding ALL makes the container privileged, which is not supported: list the capabilities it needs");
  }
  const kept = drop.includes('ALL') ? [] : defaultCapabilities.filter((c) => !drop.includes(c));
  return [...new Set([...kept, ...add])];
}

/**
 * The default profile unless the container's seccompProfile (or else the pod's) is Unconfined.
 * Validation refuses Localhost; a bundle built without validation gets a clear error too.
 */
function seccomp(security: SecurityContext, pod: PodOptions, caps: string[]): { seccomp?: OciSeccomp } {
  const profile = security.seccompProfile ?? pod.securityContext?.seccompProfile;
  switch (profile?.type) {
    case undefined:
    case 'RuntimeDefault':
      return { seccomp: defaultSeccompProfile(caps) };
    case 'Unconfined':
      return {};
    default:
      throw new InvalidSpecError('securityContext.seccompProfile.type', `${JSON.stringify(profile?.type)} is not supported: use RuntimeDefault or Unconfined`);
  }
}

function namespaces(pod: PodOptions): OciNamespace[] {
  return [
    { type: 'pid' },
    pod.ipcnsPath ? { type: 'ipc', path: pod.ipcnsPath } : { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
    pod.netnsPath ? { type: 'network', path: pod.netnsPath } : { type: 'network' },
  ];
}

/** The pod's /dev/shm: its tmpfs on the host, bound into each of its containers so they share it. */
function podShm(shmPath: string): OciMount {
  if (!shmPath.startsWith('/')) throw new InvalidSpecError('pod.shmPath', `'${shmPath}' is not an absolute path`);
  return { destination: '/dev/shm', type: 'bind', source: shmPath, options: ['rbind', 'rprivate', 'nosuid', 'noexec', 'nodev', 'rw'] };
}

function bindMounts(pod: PodOptions): OciMount[] {
  return (pod.mounts ?? []).map((m, i) => {
    if (!m.containerPath.startsWith('/')) {
      throw new InvalidSpecError(`pod.mounts[${i}].containerPath`, `'${m.containerPath}' is not an absolute path`);
    }
    if (!m.hostPath.startsWith('/')) {
      throw new InvalidSpecError(`pod.mounts[${i}].hostPath`, `'${m.hostPath}' is not an absolute path`);
    }
    return {
      destination: m.containerPath,
      type: 'bind',
      source: m.hostPath,
      options: ['rbind', 'rprivate', 'nosuid', 'nodev', m.readOnly ? 'ro' : 'rw', ...(m.readOnly && m.recursiveReadOnly ? ['rro'] : [])],
    };
  });
}

/**
 * The cgroup settings, with Kubernetes' formulas: cpu shares from the request
 * (milliCPU*1024/1000, at least 2; the limit stands in for a missing request), CFS quota from
 * the limit (milliCPU*period/1000, at least 1 ms), memory limit in bytes.
 */
export function resources(spec: ResourceRequirements, pidsLimit: number): OciResources {
  const cpuLimit = quantityField(spec.limits?.['cpu'], 'resources.limits.cpu', cpuMillis);
  const cpuRequest = quantityField(spec.requests?.['cpu'], 'resources.requests.cpu', cpuMillis) ?? cpuLimit ?? 0;
  const memoryLimit = quantityField(spec.limits?.['memory'], 'resources.limits.memory', memoryBytes);
  const cpu: OciResources['cpu'] = { shares: Math.min(262_144, Math.max(2, Math.floor((cpuRequest * 1024) / 1000))) };
  if (cpuLimit !== undefined && cpuLimit > 0) {
    cpu.quota = Math.max(1000, Math.floor((cpuLimit * cpuPeriodUs) / 1000));
    cpu.period = cpuPeriodUs;
  }
  const out: OciResources = { cpu, pids: { limit: pidsLimit } };
  if (memoryLimit !== undefined && memoryLimit > 0) out.memory = { limit: memoryLimit };
  return out;
}

function quantityField(quantity: string | number | undefined, field: string, convert: (q: string | number) => number): number | undefined {
  if (quantity === undefined) return undefined;
  let n: number;
  try {
    n = convert(quantity);
  } catch (err) {
    throw new InvalidSpecError(field, (err as Error).message);
  }
  if (n < 0) throw new InvalidSpecError(field, `${JSON.stringify(quantity)} is negative`);
  return n;
}

/** Writes config.json into the bundle directory, readable by root only. */
export async function writeOciSpec(bundleDir: string, spec: OciSpec): Promise<void> {
  await writeFile(join(bundleDir, 'config.json'), JSON.stringify(spec, null, 2) + '\n', { mode: 0o600 });
}
