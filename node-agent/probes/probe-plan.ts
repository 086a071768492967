/**
 * What a container's probe does and when, from its Kubernetes spec: Kubernetes' defaults
 * applied (also to a spec that skipped the API's defaulting) and a named port resolved against
 * the container's ports. Pure.
 */
import type { IntOrString } from '../../proto/objects/meta.js';
import type { Container, Probe } from '../../proto/objects/pod.js';

/**
 * ProbeKind is used to say which of a container's probes is meant. The kinds share everything
 * (plan, schedule, checks, thresholds) but their initial result and what their result does:
 * readiness makes the container ready; liveness and startup failures restart it.
 */
export type ProbeKind = 'readiness' | 'liveness' | 'startup';

/** The spec field of each kind. */
export const PROBE_FIELD: Readonly<Record<ProbeKind, 'readinessProbe' | 'livenessProbe' | 'startupProbe'>> = {
  readiness: 'readinessProbe',
  liveness: 'livenessProbe',
  startup: 'startupProbe',
};

/** A port to connect to, or why there is none (a name the container does not declare). */
export type ProbePort = number | { error: string };

/** ProbeAction is used to say what one probe attempt does. */
export type ProbeAction =
  /** Run the command in the container: exit code 0 passes. */
  | { kind: 'exec'; command: string[] }
  /** GET the URL: a status from 200 to 399 passes. `host` absent: the pod's IP. */
  | { kind: 'httpGet'; scheme: 'http' | 'https'; host?: string; port: ProbePort; path: string; headers: Array<{ name: string; value: string }> }
  /** Open a TCP connection: connecting passes. `host` absent: the pod's IP. */
  | { kind: 'tcpSocket'; host?: string; port: ProbePort };

/** ProbePlan is used to run one probe of one container: what, how long each attempt may take, how often, and the thresholds. */
export interface ProbePlan {
  kind: ProbeKind;
  action: ProbeAction;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  /** Passes in a row that make the result a success. */
  successThreshold: number;
  /** Failures in a row that make the result a failure. */
  failureThreshold: number;
}

/** planProbe is the plan of `container`'s probe of this kind, or undefined when it has none (or one without a handler). */
export function planProbe(kind: ProbeKind, container: Container): ProbePlan | undefined {
  const probe = container[PROBE_FIELD[kind]];
  if (!probe) return undefined;
  const action = probeAction(probe, container);
  if (!action) return undefined;
  return {
    kind,
    action,
    initialDelayMs: seconds(probe.initialDelaySeconds, 0, 0),
    periodMs: seconds(probe.periodSeconds, 10, 1),
    timeoutMs: seconds(probe.timeoutSeconds, 1, 1),
    successThreshold: atLeastOne(probe.successThreshold, 1),
    failureThreshold: atLeastOne(probe.failureThreshold, 3),
  };
}

/** probeAction is what one attempt of `probe` (or a lifecycle hook's exec, httpGet or tcpSocket) does; undefined when it names no handler. */
export function probeAction(probe: Pick<Probe, 'exec' | 'httpGet' | 'tcpSocket'>, container: Container): ProbeAction | undefined {
  if (probe.exec) return { kind: 'exec', command: [...(probe.exec.command ?? [])] };
  if (probe.httpGet) {
    const g = probe.httpGet;
    const path = g.path ? (g.path.startsWith('/') ? g.path : `/${g.path}`) : '/';
    return {
      kind: 'httpGet',
      scheme: g.scheme === 'HTTPS' ? 'https' : 'http',
      ...(g.host ? { host: g.host } : {}),
      port: resolvePort(g.port, container),
      path,
      headers: (g.httpHeaders ?? []).map((h) => ({ name: h.name, value: h.value })),
    };
  }
  if (probe.tcpSocket) return { kind: 'tcpSocket', ...(probe.tcpSocket.host ? { host: probe.tcpSocket.host } : {}), port: resolvePort(probe.tcpSocket.port, container) };
  return undefined;
}

/** A port number as it is, a name looked up among the container's ports (Kubernetes' rule: a string is always a name). */
export function resolvePort(port: IntOrString, container: Container): ProbePort {
  if (typeof port === 'number') return port;
  const found = (container.ports ?? []).find((p) => p.name === port);
  return found ? found.containerPort : { error: `no port named "${port}" in container ${container.name}` };
}

function seconds(value: number | undefined, fallback: number, min: number): number {
  return Math.max(min, Math.floor(value ?? fallback)) * 1000;
}

function atLeastOne(value: number | undefined, fallback: number): number {
  return Math.max(1, Math.floor(value ?? fallback));
}

/**
 * kindsToRun is which of a running container instance's probes run now, Kubernetes' gating:
 * while a startup probe has not succeeded it runs alone (liveness and readiness wait, so the
 * instance is not ready and cannot be killed for liveness); afterwards liveness and readiness
 * run and startup no longer does. Kinds the container has no (usable) probe of are left out.
 */
export function kindsToRun(container: Container, startupSucceeded: boolean): ProbeKind[] {
  if (!startupSucceeded && planProbe('startup', container)) return ['startup'];
  return (['liveness', 'readiness'] as const).filter((kind) => planProbe(kind, container) !== undefined);
}
