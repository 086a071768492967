import { expect } from 'chai';
import type { Container, Pod, RestartPolicy } from '../../../proto/objects/pod.js';
import { containerLabels } from '../../../node-agent/agent/container-naming.js';
import { newRecord, type ContainerRecord } from '../../../node-agent/agent/container-record.js';
import { decidePod, newRestartState, type ContainerAction, type ContainerFacts, type InstanceFacts } from '../../../node-agent/agent/pod-decision.js';
import { computePodStatus } from '../../../node-agent/agent/pod-status.js';
import { podViews, type ProbeVerdicts } from '../../../node-agent/agent/pod-views.js';
import type { ContainerStatus as RuntimeContainer } from '../../../node-agent/runtime/index.js';
import { podSummary } from '../../../cli/printers/pod-summary.js';

/** An arbitrary clock origin: decisions only compare times. */
const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const proxy: Container = { name: 'proxy', image: 'reg/proxy:v1', restartPolicy: 'Always' };
const setup: Container = { name: 'setup', image: 'reg/tools:v1' };
const web: Container = { name: 'web', image: 'reg/app:v1' };

function podWith(restartPolicy: RestartPolicy, initContainers: Container[] = [proxy, setup]): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { initContainers, containers: [web], restartPolicy } };
}

function instance(name: string, n: number, state: RuntimeContainer['state'], exitCode?: number): RuntimeContainer {
  return {
    id: `u1_${name}_${n}`,
    name,
    state,
    image: [proxy, setup, web].find((c) => c.name === name)?.image ?? 'reg/x:v1',
    imageDigest: 'sha256:abc',
    labels: containerLabels({ uid: 'u1', namespace: 'default', name: 'p' }, name, n),
    oomKilled: false,
    createdAt: iso(T0 - 2_000),
    startedAt: iso(T0 - 1_000),
    ...(exitCode !== undefined ? { exitCode, finishedAt: iso(T0) } : {}),
    logPath: '/x',
    bundle: '/y',
  };
}

const facts = (current: InstanceFacts, extra: Partial<ContainerFacts> = {}): ContainerFacts => ({ current, restarts: newRestartState(), ...extra });

function actions(pod: Pod, known: Record<string, ContainerFacts>): Record<string, ContainerAction> {
  return Object.fromEntries(decidePod({ pod, containers: new Map(Object.entries(known)), now: T0, terminating: false }).map((d) => [d.name, d.action]));
}

const none: ContainerAction = { kind: 'none' };

describe('agent sidecar containers (init containers with restartPolicy Always)', () => {
  it('starts a sidecar first, and the next init container once it runs, the sidecar still running', () => {
    expect(actions(podWith('Always'), {})).to.deep.equal({ proxy: { kind: 'start', instance: 0 }, setup: none, web: none });
    expect(actions(podWith('Always'), { proxy: facts(instance('proxy', 0, 'running')) })).to.deep.equal({ proxy: none, setup: { kind: 'start', instance: 0 }, web: none });
  });

  it('waits for a sidecar\'s startup probe before the next init container starts', () => {
    const probed = podWith('Always', [{ ...proxy, startupProbe: { exec: { command: ['true'] } } }, setup]);
    expect(actions(probed, { proxy: facts(instance('proxy', 0, 'running')) })['setup']).to.deep.equal(none);
    expect(actions(probed, { proxy: facts(instance('proxy', 0, 'running'), { startupPassed: true }) })['setup']).to.deep.equal({ kind: 'start', instance: 0 });
  });

  it('restarts a sidecar that exits, even under restartPolicy Never, while the app containers run', () => {
    const known = { proxy: facts(instance('proxy', 0, 'exited', 0)), setup: facts(instance('setup', 0, 'exited', 0)), web: facts(instance('web', 0, 'running')) };
    expect(actions(podWith('Never'), known)).to.deep.equal({ proxy: { kind: 'restart', instance: 1, delayMs: 0 }, setup: none, web: none });
  });

  it('stops a running sidecar once the app containers have finished for good, and does not restart it', () => {
    const known = { proxy: facts(instance('proxy', 0, 'running')), setup: facts(instance('setup', 0, 'exited', 0)), web: facts(instance('web', 0, 'exited', 0)) };
    const decided = decidePod({ pod: podWith('OnFailure'), containers: new Map(Object.entries(known)), now: T0, terminating: false });
    const stop = decided.find((d) => d.name === 'proxy');
    expect(stop?.action).to.deep.equal({ kind: 'kill', id: 'u1_proxy_0', reason: 'SidecarNoLongerNeeded', gracePeriodMs: 30_000 });
    const stopped = { ...known, proxy: { current: instance('proxy', 0, 'exited', 143), restarts: stop?.next ?? newRestartState() } };
    expect(actions(podWith('OnFailure'), stopped)['proxy']).to.deep.equal(none);
  });
});

const verdicts = (ready: boolean): ProbeVerdicts => ({ result: () => (ready ? 'success' : 'failure'), startupSucceeded: () => true });

function records(instances: Record<string, RuntimeContainer>): Map<string, ContainerRecord> {
  return new Map(Object.entries(instances).map(([name, current]) => [name, { ...newRecord(name), current }]));
}

function status(pod: Pod, instances: Record<string, RuntimeContainer>, ready = true) {
  const views = podViews(pod, records(instances), verdicts(ready), 'p_default(u1)', false);
  return computePodStatus(pod, { hostIP: 'h', startTime: 's', ...views }, undefined, 'now');
}

describe('agent sidecar status, and `berth get pods` for it', () => {
  it('a running sidecar is ready by its probe, counts in READY, and the pod is Initialized', () => {
    const pod = podWith('Always');
    const st = status(pod, { proxy: instance('proxy', 0, 'running'), setup: instance('setup', 0, 'exited', 0), web: instance('web', 0, 'running') });
    expect(st.phase).to.equal('Running');
    expect(st.initContainerStatuses?.map((s) => [s.name, s.ready, s.started])).to.deep.equal([
      ['proxy', true, true],
      ['setup', true, false],
    ]);
    expect(podSummary({ ...pod, status: st })).to.deep.equal({ ready: '2/2', status: 'Running', restarts: 0 });
  });

  it('an unready sidecar keeps the pod unready, naming it', () => {
    const st = status(podWith('Always'), { proxy: instance('proxy', 0, 'running'), setup: instance('setup', 0, 'exited', 0), web: instance('web', 0, 'running') }, false);
    expect(st.conditions?.find((c) => c.type === 'Ready')).to.include({ status: 'False', message: 'containers with unready status: [proxy web]' });
  });

  it('the pod is Succeeded, and shows Completed, once the app containers completed and the sidecar stopped', () => {
    const pod = podWith('Never');
    const running = status(pod, { proxy: instance('proxy', 0, 'running'), setup: instance('setup', 0, 'exited', 0), web: instance('web', 0, 'exited', 0) });
    expect(running.phase).to.equal('Running');
    const done = status(pod, { proxy: instance('proxy', 0, 'exited', 143), setup: instance('setup', 0, 'exited', 0), web: instance('web', 0, 'exited', 0) });
    expect(done.phase).to.equal('Succeeded');
    expect(done.initContainerStatuses?.[0]?.state?.terminated?.exitCode).to.equal(143);
    expect(podSummary({ ...pod, status: done }).status).to.equal('Completed');
  });
});
