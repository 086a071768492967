/**
 * The Kubernetes-shaped inputs of a container and the pure rules that turn them, together
 * with the image's config, into the process to run: argv, environment and working directory.
 */
import type { Container, SecurityContext } from '../../proto/objects/pod.js';
import { InvalidSpecError } from './errors.js';
import type { PodUserNamespace } from './user-namespace.js';

/**
 * ContainerSpec is used for the part of a pod's `spec.containers[]` entry (proto's Container)
 * that shapes the container itself. Probes, lifecycle hooks and ports are the agent's and the
 * network's business; the image comes already pulled.
 */
export type ContainerSpec = Pick<Container, 'name' | 'command' | 'args' | 'env' | 'workingDir' | 'resources' | 'securityContext'>;

/**
 * PodOptions is used for what a pod gives each of its containers. The agent's pod sandbox
 * (network namespace, resolv.conf, hosts file) is made before any container of the pod.
 */
export interface PodOptions {
  hostname?: string;
  /** A network namespace to join (e.g. /var/run/netns/<pod>); a new empty one when absent. */
  netnsPath?: string;
  /** An IPC namespace to join, the pod's (shared by its containers); a new one when absent. */
  ipcnsPath?: string;
  /** A host directory (the pod's tmpfs) to bind on /dev/shm, shared by the pod's containers; a tmpfs of the container's own when absent. */
  shmPath?: string;
  /** The cgroup the container's cgroup is made under, relative to the hierarchy root. */
  cgroupParent?: string;
  /** Bind mounts such as /etc/resolv.conf and /etc/hosts. */
  mounts?: BindMount[];
  /** The pod's range of host ids (`hostUsers: false`): each container gets a user namespace mapping it. */
  userNamespace?: PodUserNamespace;
  /** The pod's securityContext; each field the container's own securityContext sets wins. */
  securityContext?: Pick<SecurityContext, 'runAsUser' | 'runAsGroup' | 'runAsNonRoot' | 'seccompProfile'> & {
    /** Added to every process's supplementary groups (the group of the pod's volumes). */
    fsGroup?: number;
    /** Added to every process's supplementary groups. */
    supplementalGroups?: number[];
  };
}

/** BindMount is used to put a host file or directory into the container. */
export interface BindMount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
  /** With readOnly: read-only all the way down, mounts below included (OCI option `rro`). */
  recursiveReadOnly?: boolean;
  /** The node's own files (a hostPath): in a user namespace they keep their ids, not idmapped. */
  keepHostIds?: boolean;
}

/**
 * ImageForContainer is used for the part of a pulled image a container needs. The image
 * store's `PulledImage` fits it as it is: `config` is the parsed OCI image config JSON.
 */
export interface ImageForContainer {
  reference: string;
  digest: string;
  config: { config?: ImageRunConfig | null };
  /** Unpacked read-only layer directories, base first. */
  layerDirs: string[];
}

/** ImageRunConfig is used for the run settings of an OCI image config (`config.config`). */
export interface ImageRunConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  /** The signal that asks the process to stop (Dockerfile STOPSIGNAL); SIGTERM when absent. */
  StopSignal?: string;
}

/** The PATH a container gets when neither the image nor the spec sets one (as Docker and containerd). */
export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The argv to execute, with Kubernetes semantics: `command` replaces ENTRYPOINT and drops
 * CMD; `args` replaces CMD only. They are taken as they are: the agent has already expanded
 * Kubernetes' `$(VAR)` references, as the kubelet does before it calls a runtime.
 */
export function resolveArgv(spec: ContainerSpec, image: ImageRunConfig): string[] {
  const argv =
    spec.command !== undefined
      ? [...spec.command, ...(spec.args ?? [])]
      : [...(image.Entrypoint ?? []), ...(spec.args !== undefined ? spec.args : (image.Cmd ?? []))];
  if (argv.length === 0) {
    throw new InvalidSpecError('command', 'neither the container spec nor the image says what to run: set command or args');
  }
  return argv;
}

/**
 * The environment in order: the image's Env, overlaid by the spec's env (a spec entry
 * replaces the image's value in place; new names follow), PATH defaulted. Spec values are
 * taken as they are (the agent has expanded them).
 */
export function resolveEnv(spec: ContainerSpec, image: ImageRunConfig, extra: Record<string, string> = {}): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of image.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  for (const [name, value] of specEnvironment(spec)) env.set(name, value);
  if (!env.has('PATH')) env.set('PATH', defaultPath);
  for (const [name, value] of Object.entries(extra)) if (!env.has(name)) env.set(name, value);
  return env;
}

/** The variables the spec's env defines, names checked. */
function specEnvironment(spec: ContainerSpec): Map<string, string> {
  const defined = new Map<string, string>();
  for (const [i, variable] of (spec.env ?? []).entries()) {
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(variable.name)) {
      throw new InvalidSpecError(`env[${i}].name`, `'${variable.name}' is not a valid environment variable name`);
    }
    defined.set(variable.name, variable.value ?? '');
  }
  return defined;
}

/** `NAME=value` strings, the form OCI's process.env wants. */
export function envList(env: Map<string, string>): string[] {
  return [...env].map(([name, value]) => `${name}=${value}`);
}

/** The working directory: the spec's, else the image's, else '/'. It must be absolute. */
export function resolveWorkingDir(spec: ContainerSpec, image: ImageRunConfig): string {
  const cwd = spec.workingDir || image.WorkingDir || '/';
  if (!cwd.startsWith('/')) {
    throw new InvalidSpecError('workingDir', `'${cwd}' is not an absolute path`);
  }
  return cwd;
}

/**
 * Who the process runs as, as far as the specs say: the container's securityContext, field
 * by field over the pod's (Kubernetes' precedence). The image's USER fills what is unset.
 */
export function effectiveRunAs(spec: ContainerSpec, pod: PodOptions): { runAsUser?: number; runAsGroup?: number; runAsNonRoot?: boolean } {
  const own = spec.securityContext ?? {};
  const shared = pod.securityContext ?? {};
  return {
    runAsUser: own.runAsUser ?? shared.runAsUser,
    runAsGroup: own.runAsGroup ?? shared.runAsGroup,
    runAsNonRoot: own.runAsNonRoot ?? shared.runAsNonRoot,
  };
}
