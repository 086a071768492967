import { expect } from 'chai';
import type { Container } from '../../../proto/objects/pod.js';
import type { ProbePlan } from '../../../node-agent/probes/probe-plan.js';
import type { ProbeTarget } from '../../../node-agent/probes/probe-checks.js';
import { PodProbes } from '../../../node-agent/probes/pod-probes.js';
import type { ProbeOutcome } from '../../../node-agent/probes/probe-state.js';

const probed: Container = { name: 'web', image: 'busybox', readinessProbe: { httpGet: { port: 80 }, periodSeconds: 1 } };
const plain: Container = { name: 'sidecar', image: 'busybox' };
const net = { podIP: '10.244.1.7', netnsPath: '/var/run/netns/berth-0123456789ab' };

/** A made-up check: answers the outcomes queued for it, in order, and records what it was asked. */
class FakeChecks {
  readonly asked: Array<{ plan: ProbePlan; target: ProbeTarget }> = [];
  private readonly answers: ProbeOutcome[] = [];
  private waiting: Array<() => void> = [];
  answer(...outcomes: ProbeOutcome[]): void {
    this.answers.push(...outcomes);
  }
  readonly attempt = async (plan: ProbePlan, target: ProbeTarget): Promise<ProbeOutcome> => {
    this.asked.push({ plan, target });
    for (const wake of this.waiting.splice(0)) wake();
    return this.answers.shift() ?? { result: 'failure', message: 'no answer queued' };
  };
  /** Resolves once `n` attempts have been made in all. */
  async attempts(n: number): Promise<void> {
    while (this.asked.length < n) await new Promise<void>((resolve) => this.waiting.push(resolve));
    await new Promise((resolve) => setImmediate(resolve)); // let the prober record the outcome
  }
}

function listen() {
  const heard: string[] = [];
  return {
    heard,
    listener: {
      resultChanged: (container: string, kind: string, result: string) => heard.push(`${container} ${kind} ${result}`),
      unhealthy: (container: string, _kind: string, message: string) => heard.push(`${container} Unhealthy: ${message}`),
    },
  };
}

describe('PodProbes', () => {
  let probes: PodProbes | undefined;
  afterEach(() => probes?.stop());

  it('probes the running container at the pod IP, makes it ready at a pass, and reports failures', async () => {
    const checks = new FakeChecks();
    const { heard, listener } = listen();
    probes = new PodProbes(checks.attempt, listener);
    expect(probes.result(probed, 'readiness'), 'not ready before any instance runs').to.equal('failure');
    expect(probes.result(plain, 'readiness'), 'no probe: no verdict').to.equal(undefined);
    checks.answer({ result: 'failure', message: 'connection refused' }, { result: 'success' });
    probes.sync([{ spec: probed, running: { id: 'u1_web_0', startedAtMs: Date.now() } }, { spec: plain, running: { id: 'u1_sidecar_0', startedAtMs: Date.now() } }], net);
    await checks.attempts(1);
    expect(checks.asked[0]?.target).to.deep.equal({ containerId: 'u1_web_0', ...net });
    expect(probes.result(probed, 'readiness')).to.equal('failure');
    await checks.attempts(2);
    expect(probes.result(probed, 'readiness')).to.equal('success');
    expect(heard).to.deep.equal(['web Unhealthy: Readiness probe failed: connection refused', 'web readiness success']);
    expect(checks.asked.every((a) => a.target.containerId === 'u1_web_0'), 'the container without a probe is never probed').to.equal(true);
  });

  it('starts a new instance from not ready, unless an earlier agent reported that instance ready', async () => {
    const checks = new FakeChecks();
    probes = new PodProbes(checks.attempt, listen().listener);
    checks.answer({ result: 'success' });
    probes.sync([{ spec: probed, running: { id: 'u1_web_0', startedAtMs: Date.now() } }], net);
    await checks.attempts(1);
    expect(probes.result(probed, 'readiness')).to.equal('success');
    probes.sync([{ spec: probed, running: { id: 'u1_web_1', startedAtMs: Date.now() + 60_000 } }], {});
    expect(probes.result(probed, 'readiness'), 'a restarted container').to.equal('failure');
    probes.sync([{ spec: probed, running: { id: 'u1_web_2', startedAtMs: Date.now() + 60_000, readyBefore: true } }], {});
    expect(probes.result(probed, 'readiness'), 'adopted after an agent restart').to.equal('success');
  });

  it('stops probing a container that no longer runs, and everything once stopped', async () => {
    const checks = new FakeChecks();
    probes = new PodProbes(checks.attempt, listen().listener);
    checks.answer({ result: 'success' });
    probes.sync([{ spec: probed, running: { id: 'u1_web_0', startedAtMs: Date.now() } }], net);
    await checks.attempts(1);
    probes.sync([{ spec: probed }], net);
    expect(probes.result(probed, 'readiness')).to.equal('failure');
    probes.sync([{ spec: probed, running: { id: 'u1_web_1', startedAtMs: Date.now() + 60_000 } }], net);
    probes.stop();
    expect(probes.result(probed, 'readiness')).to.equal('failure');
    expect(checks.asked).to.have.length(1);
  });

  it('runs a startup probe alone until it succeeds, then liveness and readiness; a liveness failure is heard with its instance', async () => {
    const slow: Container = {
      name: 'slow',
      image: 'busybox',
      startupProbe: { exec: { command: ['cat', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 30 },
      livenessProbe: { exec: { command: ['cat', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 1 },
      readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 },
    };
    const checks = new FakeChecks();
    const heard: string[] = [];
    probes = new PodProbes(checks.attempt, {
      resultChanged: (container, kind, result, id) => heard.push(`${container} ${kind} ${result} ${id}`),
      unhealthy: () => undefined,
    });
    checks.answer({ result: 'failure', message: 'not yet' }, { result: 'success' });
    probes.sync([{ spec: slow, running: { id: 'u1_slow_0', startedAtMs: Date.now() } }], net);
    await checks.attempts(2);
    expect(checks.asked.map((a) => a.plan.kind), 'nothing but the startup probe before it succeeds').to.deep.equal(['startup', 'startup']);
    expect(probes.result(slow, 'readiness'), 'not ready before it started up').to.equal('failure');
    expect(probes.startupSucceeded('u1_slow_0')).to.equal(true);
    checks.answer({ result: 'success' }, { result: 'success' });
    await checks.attempts(4);
    expect(checks.asked.slice(2).map((a) => a.plan.kind).sort()).to.deep.equal(['liveness', 'readiness']);
    expect(heard).to.deep.equal(['slow startup success u1_slow_0', 'slow readiness success u1_slow_0']);
  });

  it('tells which instance failed its liveness probe, once failureThreshold failures came in a row', async () => {
    const live: Container = { name: 'app', image: 'busybox', livenessProbe: { exec: { command: ['cat', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 2 } };
    const checks = new FakeChecks();
    const heard: string[] = [];
    probes = new PodProbes(checks.attempt, { resultChanged: (container, kind, result, id) => heard.push(`${container} ${kind} ${result} ${id}`), unhealthy: () => undefined });
    checks.answer({ result: 'failure', message: 'gone' }, { result: 'failure', message: 'gone' });
    probes.sync([{ spec: live, running: { id: 'u1_app_3', startedAtMs: Date.now() } }], net);
    await checks.attempts(1);
    expect(heard, 'one failure is below the threshold').to.deep.equal([]);
    await checks.attempts(2);
    expect(heard).to.deep.equal(['app liveness failure u1_app_3']);
  });
});
