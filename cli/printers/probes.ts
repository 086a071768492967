import type { Probe } from '../../proto/objects/pod.js';

/**
 * describeProbe is a probe as `kubectl describe` shows it, e.g.
 * `http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3`.
 * Fields the object lacks show Kubernetes' defaults, which is what the agent uses.
 */
export function describeProbe(probe: Probe): string {
  const attrs = `delay=${probe.initialDelaySeconds ?? 0}s timeout=${probe.timeoutSeconds ?? 1}s period=${probe.periodSeconds ?? 10}s #success=${probe.successThreshold ?? 1} #failure=${probe.failureThreshold ?? 3}`;
  if (probe.exec) return `exec [${(probe.exec.command ?? []).join(' ')}] ${attrs}`;
  if (probe.httpGet) {
    const g = probe.httpGet;
    const host = g.host ?? '';
    const hostPort = host.includes(':') ? `[${host}]:${g.port}` : `${host}:${g.port}`;
    const path = g.path ?? '/';
    return `http-get ${(g.scheme ?? 'HTTP').toLowerCase()}://${hostPort}${path.startsWith('/') ? path : `/${path}`} ${attrs}`;
  }
  if (probe.tcpSocket) return `tcp-socket ${probe.tcpSocket.host ?? ''}:${probe.tcpSocket.port} ${attrs}`;
  return `unknown ${attrs}`;
}
