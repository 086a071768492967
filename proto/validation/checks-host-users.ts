import type { Container, PodSpec } from '../objects/pod.js';
import type { CheckOutput } from './check.js';
import { joinPath } from './problems.js';

/** How many ids a pod's user namespace maps (Kubernetes': 0-65535 inside). */
export const POD_USER_NAMESPACE_IDS = 65536;

const FORBIDDEN = 'Forbidden: when `spec.hostUsers` is false';

/**
 * checkHostUsers applies Kubernetes' rules for a pod in a user namespace (`hostUsers: false`):
 * no host network, PID or IPC namespace and no privileged container, since those hand the
 * host's privileges back; and every id the pod names lies inside the 65536 ids its namespace
 * maps (a process or file with an id outside would be the unmapped overflow id).
 */
export function checkHostUsers(spec: PodSpec, path: string, out: CheckOutput): void {
  if (spec.hostUsers !== false) return;
  // Fields Berth does not implement (only warned about) still must not be asked for here.
  const hostNamespaces = spec as unknown as Record<string, unknown>;
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (hostNamespaces[field] === true) out.error(joinPath(path, field), FORBIDDEN);
  }
  const containers: [Container, string][] = [
    ...(spec.initContainers ?? []).map((c, i): [Container, string] => [c, joinPath(joinPath(path, 'initContainers'), i)]),
    ...spec.containers.map((c, i): [Container, string] => [c, joinPath(joinPath(path, 'containers'), i)]),
  ];
  for (const [c, cpath] of containers) {
    const security = joinPath(cpath, 'securityContext');
    if (c.securityContext?.privileged === true) out.error(joinPath(security, 'privileged'), FORBIDDEN);
    checkMappedId(c.securityContext?.runAsUser, joinPath(security, 'runAsUser'), out);
    checkMappedId(c.securityContext?.runAsGroup, joinPath(security, 'runAsGroup'), out);
  }
  const pod = spec.securityContext;
  const podPath = joinPath(path, 'securityContext');
  checkMappedId(pod?.runAsUser, joinPath(podPath, 'runAsUser'), out);
  checkMappedId(pod?.runAsGroup, joinPath(podPath, 'runAsGroup'), out);
  checkMappedId(pod?.fsGroup, joinPath(podPath, 'fsGroup'), out);
  (pod?.supplementalGroups ?? []).forEach((g, i) => checkMappedId(g, joinPath(joinPath(podPath, 'supplementalGroups'), i), out));
}

function checkMappedId(id: number | undefined, path: string, out: CheckOutput): void {
  if (id === undefined || id < POD_USER_NAMESPACE_IDS) return;
  out.error(path, `Invalid value: ${id}: must be less than ${POD_USER_NAMESPACE_IDS} when \`spec.hostUsers\` is false (the pod's user namespace maps ids 0-${POD_USER_NAMESPACE_IDS - 1})`);
}
