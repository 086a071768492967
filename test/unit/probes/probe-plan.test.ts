import { expect } from 'chai';
import type { Container } from '../../../proto/objects/pod.js';
import { kindsToRun, planProbe } from '../../../node-agent/probes/probe-plan.js';
import { withTimeout } from '../../../node-agent/probes/probe-checks.js';

const web: Container = { name: 'web', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9090 }] };

describe('probe plans', () => {
  it("fills in Kubernetes' defaults: no delay, 1 s timeout, 10 s period, thresholds 1 and 3, GET /", () => {
    expect(planProbe('readiness', { ...web, readinessProbe: { httpGet: { port: 8080 } } })).to.deep.equal({
      kind: 'readiness',
      action: { kind: 'httpGet', scheme: 'http', port: 8080, path: '/', headers: [] },
      initialDelayMs: 0,
      timeoutMs: 1_000,
      periodMs: 10_000,
      successThreshold: 1,
      failureThreshold: 3,
    });
  });

  it('keeps the fields given: host, scheme, path, headers, timings and thresholds', () => {
    const plan = planProbe('readiness', {
      ...web,
      readinessProbe: {
        httpGet: { host: '10.0.0.9', scheme: 'HTTPS', path: 'healthz', port: 8443, httpHeaders: [{ name: 'Host', value: 'example.com' }] },
        initialDelaySeconds: 5, timeoutSeconds: 2, periodSeconds: 3, successThreshold: 2, failureThreshold: 4,
      },
    });
    expect(plan).to.deep.include({ initialDelayMs: 5_000, timeoutMs: 2_000, periodMs: 3_000, successThreshold: 2, failureThreshold: 4 });
    expect(plan?.action).to.deep.equal({ kind: 'httpGet', scheme: 'https', host: '10.0.0.9', port: 8443, path: '/healthz', headers: [{ name: 'Host', value: 'example.com' }] });
  });

  it("resolves a named port from the container's ports, and says which name is missing", () => {
    expect(planProbe('readiness', { ...web, readinessProbe: { tcpSocket: { port: 'http' } } })?.action).to.deep.equal({ kind: 'tcpSocket', port: 8080 });
    expect(planProbe('readiness', { ...web, readinessProbe: { tcpSocket: { port: 'metrics' } } })?.action).to.deep.equal({
      kind: 'tcpSocket',
      port: { error: 'no port named "metrics" in container web' },
    });
  });

  it('plans exec probes, and nothing for a container without that probe', () => {
    expect(planProbe('readiness', { ...web, readinessProbe: { exec: { command: ['cat', '/tmp/ready'] } } })?.action).to.deep.equal({ kind: 'exec', command: ['cat', '/tmp/ready'] });
    expect(planProbe('readiness', web)).to.equal(undefined);
    expect(planProbe('liveness', { ...web, readinessProbe: { exec: { command: ['true'] } } })).to.equal(undefined);
  });

  it('turns an attempt that outlasts its timeout into a failure, and tells the attempt to stop', async () => {
    let stopped = false;
    const hanging = (signal: AbortSignal) =>
      new Promise<never>(() => signal.addEventListener('abort', () => (stopped = true)));
    expect(await withTimeout(hanging, 10, 'command "sleep 5" timed out')).to.deep.equal({ result: 'failure', message: 'command "sleep 5" timed out' });
    expect(stopped).to.equal(true);
    expect(await withTimeout(async () => ({ result: 'success' }), 10_000, 'never')).to.deep.equal({ result: 'success' });
  });

  it('runs a startup probe alone until it succeeds, then liveness and readiness (Kubernetes\' gating)', () => {
    const all: Container = { name: 'app', image: 'busybox', startupProbe: { tcpSocket: { port: 80 } }, livenessProbe: { tcpSocket: { port: 80 } }, readinessProbe: { httpGet: { port: 80 } } };
    expect(kindsToRun(all, false)).to.deep.equal(['startup']);
    expect(kindsToRun(all, true)).to.deep.equal(['liveness', 'readiness']);
    const noStartup: Container = { name: 'app', image: 'busybox', livenessProbe: { tcpSocket: { port: 80 } } };
    expect(kindsToRun(noStartup, false), 'without a startup probe, liveness runs from the start').to.deep.equal(['liveness']);
    expect(kindsToRun({ name: 'app', image: 'busybox' }, false)).to.deep.equal([]);
  });
});
