import type { Container, LifecycleHandler, PodSpec, Probe, SeccompProfile } from '../objects/pod.js';
import { isQuantity, parseQuantity } from '../quantity.js';
import type { CheckOutput } from './check.js';
import { checkAffinity } from './checks-affinity.js';
import { checkEnv, checkEnvFrom } from './checks-env.js';
import { checkHostUsers } from './checks-host-users.js';
import { checkVolumes } from './checks-volumes.js';
import { dns1123Label, ianaServiceName } from './names.js';
import { joinPath, quote } from './problems.js';

/** Resources whose requests and limits Berth enforces; others are accepted with a warning. */
const KNOWN_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** checkPodSpec runs every pod-level check on a Pod's spec or a template's, at `path`. */
export function checkPodSpec(spec: PodSpec, path: string, out: CheckOutput): void {
  const seenContainers = new Set<string>();
  const seenPortNames = new Set<string>();
  const all: [Container, string][] = [
    ...(spec.initContainers ?? []).map((c, i): [Container, string] => [c, joinPath(joinPath(path, 'initContainers'), i)]),
    ...spec.containers.map((c, i): [Container, string] => [c, joinPath(joinPath(path, 'containers'), i)]),
  ];
  const names = new Set(all.map(([c]) => c.name));
  for (const [container, cpath] of all) {
    if (seenContainers.has(container.name)) {
      out.error(joinPath(cpath, 'name'), `Duplicate value: ${quote(container.name)}`);
    }
    seenContainers.add(container.name);
    checkContainer(container, cpath, seenPortNames, out);
    checkEnv(container.env ?? [], joinPath(cpath, 'env'), names, out);
    checkEnvFrom(container.envFrom ?? [], joinPath(cpath, 'envFrom'), out);
  }
  (spec.initContainers ?? []).forEach((c, i) => checkInitContainer(c, joinPath(joinPath(path, 'initContainers'), i), out));
  spec.containers.forEach((c, i) => {
    if (c.restartPolicy !== undefined) out.error(joinPath(joinPath(joinPath(path, 'containers'), i), 'restartPolicy'), 'Forbidden: may not be set for non-init containers');
  });
  if (spec.hostname !== undefined) {
    const reason = dns1123Label(spec.hostname);
    if (reason) out.error(joinPath(path, 'hostname'), `Invalid value: ${quote(spec.hostname)}: ${reason}`);
  }
  if (spec.affinity) checkAffinity(spec.affinity, joinPath(path, 'affinity'), out);
  checkSeccompProfile(spec.securityContext?.seccompProfile, joinPath(joinPath(path, 'securityContext'), 'seccompProfile'), out);
  checkVolumes(spec, path, out);
  checkHostUsers(spec, path, out);
}

/**
 * Init containers run to completion: probes and lifecycle hooks make no sense for them, and
 * Kubernetes refuses them; a sidecar (restartPolicy Always) keeps running and may have them.
 */
function checkInitContainer(c: Container, path: string, out: CheckOutput): void {
  if (c.restartPolicy === 'Always') return;
  for (const field of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'] as const) {
    if (c[field] !== undefined) out.error(joinPath(path, field), 'Forbidden: may not be set for init containers without restartPolicy=Always');
  }
}

function checkContainer(c: Container, path: string, seenPortNames: Set<string>, out: CheckOutput): void {
  const nameReason = dns1123Label(c.name);
  if (c.name === '') out.error(joinPath(path, 'name'), 'Required value');
  else if (nameReason) out.error(joinPath(path, 'name'), `Invalid value: ${quote(c.name)}: ${nameReason}`);
  if (c.image === undefined || c.image.trim() === '') out.error(joinPath(path, 'image'), 'Required value');
  (c.ports ?? []).forEach((p, i) => {
    const ppath = joinPath(joinPath(path, 'ports'), i);
    if (p.containerPort < 1 || p.containerPort > 65535) {
      out.error(joinPath(ppath, 'containerPort'), `Invalid value: ${p.containerPort}: must be between 1 and 65535, inclusive`);
    }
    if (p.hostPort !== undefined && (p.hostPort < 0 || p.hostPort > 65535)) {
      out.error(joinPath(ppath, 'hostPort'), `Invalid value: ${p.hostPort}: must be between 1 and 65535, inclusive`);
    }
    if (p.name !== undefined) {
      const reason = ianaServiceName(p.name);
      if (reason) out.error(joinPath(ppath, 'name'), `Invalid value: ${quote(p.name)}: ${reason}`);
      else if (seenPortNames.has(p.name)) out.error(joinPath(ppath, 'name'), `Duplicate value: ${quote(p.name)}`);
      seenPortNames.add(p.name);
    }
  });
  checkResources(c, joinPath(path, 'resources'), out);
  checkSeccompProfile(c.securityContext?.seccompProfile, joinPath(joinPath(path, 'securityContext'), 'seccompProfile'), out);
  for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const probe = c[kind];
    if (probe) checkHandler(probe, joinPath(path, kind), out);
  }
  if (c.lifecycle?.postStart) checkHandler(c.lifecycle.postStart, joinPath(joinPath(path, 'lifecycle'), 'postStart'), out);
  if (c.lifecycle?.preStop) checkHandler(c.lifecycle.preStop, joinPath(joinPath(path, 'lifecycle'), 'preStop'), out);
}

function checkResources(c: Container, path: string, out: CheckOutput): void {
  for (const part of ['requests', 'limits'] as const) {
    // The schema has already refused requests or limits that are not a mapping (a string would otherwise be checked per character).
    for (const [name, value] of Object.entries(mapping(c.resources?.[part]))) {
      const qpath = joinPath(joinPath(path, part), name);
      if (!isQuantity(value)) {
        out.error(qpath, `Invalid value: ${quote(value)}: must be a quantity such as 500m, 2, 64Mi or 1G`);
      } else if (parseQuantity(value) < 0) {
        out.error(qpath, `Invalid value: ${quote(value)}: must be greater than or equal to 0`);
      } else if (!KNOWN_RESOURCES.has(name)) {
        out.warn(qpath, `resource ${quote(name)} is not enforced by Berth`);
      }
    }
  }
  for (const [name, request] of Object.entries(mapping(c.resources?.requests))) {
    const limit = mapping(c.resources?.limits)[name];
    if (limit === undefined || !isQuantity(limit) || !isQuantity(request)) continue;
    if (parseQuantity(request) > parseQuantity(limit)) {
      out.error(joinPath(joinPath(path, 'requests'), name), `Invalid value: ${quote(request)}: must be less than or equal to ${name} limit of ${limit}`);
    }
  }
}

function mapping(value: Record<string, string | number> | undefined): Record<string, string | number> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}

/** A probe or lifecycle hook needs exactly one handler. */
function checkHandler(handler: Probe | LifecycleHandler, path: string, out: CheckOutput): void {
  const kinds = (['exec', 'httpGet', 'tcpSocket', 'sleep'] as const).filter((k) => (handler as Record<string, unknown>)[k] !== undefined);
  if (kinds.length === 0) out.error(path, 'Required value: must specify a handler type');
  if (kinds.length > 1) out.error(joinPath(path, kinds[1] as string), 'Forbidden: may not specify more than 1 handler type');
  const port = handler.httpGet?.port ?? handler.tcpSocket?.port;
  if (typeof port === 'number' && (port < 1 || port > 65535)) {
    out.error(joinPath(joinPath(path, kinds[0] as string), 'port'), `Invalid value: ${port}: must be between 1 and 65535, inclusive`);
  }
  if (handler.exec && (handler.exec.command ?? []).length === 0) {
    out.error(joinPath(joinPath(path, 'exec'), 'command'), 'Required value');
  }
}

/** Profiles on the node's disk (Localhost) would make a pod's meaning depend on its node: refused. */
function checkSeccompProfile(profile: SeccompProfile | undefined, path: string, out: CheckOutput): void {
  if (!profile) return;
  if (profile.type === 'Localhost') {
    out.error(joinPath(path, 'type'), 'Unsupported value: "Localhost": Berth has no node-local seccomp profiles; use RuntimeDefault (the default) or Unconfined');
  } else if (profile.localhostProfile !== undefined) {
    out.error(joinPath(path, 'localhostProfile'), 'Forbidden: may only be set when type is Localhost');
  }
}
