/**
 * The subset of the OCI runtime-spec config.json (v1.1) that Berth writes. Field names are
 * the spec's, so the file runs unchanged under berth-runtime, crun or runc.
 */

/** OciSpec is used for a bundle's config.json. */
export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: OciLinux;
}

/** OciProcess is used for config.json's `process`. */
export interface OciProcess {
  terminal: boolean;
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  rlimits: { type: string; hard: number; soft: number }[];
  noNewPrivileges: boolean;
}

/** OciCapabilities is used for the capability sets of the process. */
export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
}

/** OciMount is used for one entry of config.json's `mounts`. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
  /** An idmapped mount: ids seen through these mappings (berth-runtime wants the container's own). */
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
}

/** OciIdMapping is used for one range of a user namespace's (or an idmapped mount's) id map. */
export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** OciNamespace is used for one entry of `linux.namespaces`; `path` joins an existing one. */
export interface OciNamespace {
  type: 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';
  path?: string;
}

/** OciDevice is used for one entry of `linux.devices`. */
export interface OciDevice {
  path: string;
  type: 'c' | 'b' | 'p';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

/** OciResources is used for `linux.resources`: the cgroup limits. */
export interface OciResources {
  memory?: { limit: number };
  cpu?: { shares?: number; quota?: number; period?: number };
  pids?: { limit: number };
}

/** OciLinux is used for config.json's `linux`. */
export interface OciLinux {
  namespaces: OciNamespace[];
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  resources: OciResources;
  cgroupsPath: string;
  devices: OciDevice[];
  maskedPaths: string[];
  readonlyPaths: string[];
  seccomp?: OciSeccomp;
}

/** OciSeccomp is used for `linux.seccomp`: the system call filter berth-runtime compiles. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: OciSyscallRule[];
}

/** OciSyscallRule is used for one entry of `linux.seccomp.syscalls`; all args must hold. */
export interface OciSyscallRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
}
