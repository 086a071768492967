import { expect } from 'chai';
import type { Container, Pod, RestartPolicy } from '../../../proto/objects/pod.js';
import { containerLabels } from '../../../node-agent/agent/container-naming.js';
import { newRecord, toView } from '../../../node-agent/agent/container-record.js';
import { containerFieldPath, initProgress } from '../../../node-agent/agent/init-progress.js';
import { decidePod, newRestartState, type ContainerAction, type ContainerFacts, type InstanceFacts } from '../../../node-agent/agent/pod-decision.js';
import { computePodStatus, type ContainerView } from '../../../node-agent/agent/pod-status.js';
import type { ContainerStatus as RuntimeContainer } from '../../../node-agent/runtime/index.js';

/** An arbitrary clock origin: decisions only compare times. */
const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const inits: Container[] = [
  { name: 'fetch', image: 'reg/tools:v1' },
  { name: 'migrate', image: 'reg/tools:v1' },
];
const apps: Container[] = [
  { name: 'web', image: 'reg/app:v1' },
  { name: 'log', image: 'reg/app:v1' },
];

function podWith(restartPolicy: RestartPolicy, initContainers: Container[] = inits): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { initContainers, containers: apps, restartPolicy } };
}

function instance(name: string, n: number, state: InstanceFacts['state'], extra: Partial<InstanceFacts> = {}): InstanceFacts {
  return { id: `u1_${name}_${n}`, state, image: name === 'web' || name === 'log' ? 'reg/app:v1' : 'reg/tools:v1', labels: containerLabels({ uid: 'u1', namespace: 'default', name: 'p' }, name, n), ...extra };
}

function exited(name: string, n: number, exitCode: number, endedAt = T0): InstanceFacts {
  return instance(name, n, 'exited', { exitCode, startedAt: iso(endedAt - 1_000), finishedAt: iso(endedAt) });
}

const facts = (current: InstanceFacts): ContainerFacts => ({ current, restarts: newRestartState() });

/** The action decided for every container of the pod, by name. */
function actions(pod: Pod, known: Record<string, ContainerFacts>, now = T0): Record<string, ContainerAction> {
  const decisions = decidePod({ pod, containers: new Map(Object.entries(known)), now, terminating: false });
  return Object.fromEntries(decisions.map((d) => [d.name, d.action]));
}

const none: ContainerAction = { kind: 'none' };

describe('agent init containers', () => {
  it('starts only the first init container of a new pod; no app container starts meanwhile', () => {
    expect(actions(podWith('Always'), {})).to.deep.equal({ fetch: { kind: 'start', instance: 0 }, migrate: none, web: none, log: none });
  });

  it('runs the init containers one after another, each once the one before has exited 0', () => {
    const pod = podWith('Always');
    expect(actions(pod, { fetch: facts(instance('fetch', 0, 'running')) })).to.deep.equal({ fetch: none, migrate: none, web: none, log: none });
    expect(actions(pod, { fetch: facts(exited('fetch', 0, 0)) })).to.deep.equal({ fetch: none, migrate: { kind: 'start', instance: 0 }, web: none, log: none });
  });

  it('starts every app container once all init containers have completed, and never runs those again', () => {
    const done = { fetch: facts(exited('fetch', 0, 0)), migrate: facts(exited('migrate', 0, 0)) };
    expect(actions(podWith('Always'), done)).to.deep.equal({ fetch: none, migrate: none, web: { kind: 'start', instance: 0 }, log: { kind: 'start', instance: 0 } });
    const running = { ...done, web: facts(instance('web', 0, 'running')), log: facts(instance('log', 0, 'running')) };
    expect(actions(podWith('Always'), running)).to.deep.equal({ fetch: none, migrate: none, web: none, log: none });
  });

  it('retries a failed init container with the back-off under Always and OnFailure, the app containers still waiting', () => {
    for (const policy of ['Always', 'OnFailure'] as const) {
      const pod = podWith(policy);
      const failed = { fetch: facts(exited('fetch', 0, 0)), migrate: facts(exited('migrate', 0, 1)) };
      const decided = actions(pod, failed);
      expect(decided['migrate'], policy).to.deep.equal({ kind: 'restart', instance: 1, delayMs: 0 });
      expect([decided['fetch'], decided['web'], decided['log']], policy).to.deep.equal([none, none, none]);
    }
  });

  it('fails the pod for good on a failed init container under Never: nothing else starts, ever', () => {
    const pod = podWith('Never');
    const failed = { fetch: facts(exited('fetch', 0, 1)) };
    expect(initProgress(pod, new Map(Object.entries(failed)))).to.deep.equal({ kind: 'failed', index: 0 });
    expect(actions(pod, failed, T0 + 60_000)).to.deep.equal({ fetch: none, migrate: none, web: none, log: none });
  });

  it('a restarted agent that finds app containers does not run init containers again, even with their instances gone', () => {
    const pod = podWith('Always');
    const adopted = { web: facts(exited('web', 0, 0)), log: facts(instance('log', 0, 'running')) };
    expect(initProgress(pod, new Map(Object.entries(adopted)))).to.deep.equal({ kind: 'initialized' });
    expect(actions(pod, adopted)).to.deep.equal({ fetch: none, migrate: none, web: { kind: 'restart', instance: 1, delayMs: 0 }, log: none });
  });

  it('waits for the exit code of an ended init container before it goes on', () => {
    const pod = podWith('Never');
    const unrecorded = { fetch: facts(instance('fetch', 0, 'exited', { startedAt: iso(T0 - 1_000), finishedAt: iso(T0) })) };
    const decided = actions(pod, unrecorded);
    expect(decided['fetch']?.kind).to.equal('wait');
    expect(decided['migrate']).to.deep.equal(none);
  });

  it('names the events of init containers by their spec.initContainers field', () => {
    expect(containerFieldPath(podWith('Always'), 'fetch')).to.equal('spec.initContainers{fetch}');
    expect(containerFieldPath(podWith('Always'), 'web')).to.equal('spec.containers{web}');
  });
});

function runtimeInstance(name: string, n: number, state: RuntimeContainer['state'], exitCode?: number): RuntimeContainer {
  return {
    ...instance(name, n, state, exitCode !== undefined ? { exitCode, startedAt: iso(T0 - 1_000), finishedAt: iso(T0) } : { startedAt: iso(T0 - 1_000) }),
    name,
    imageDigest: 'sha256:abc',
    oomKilled: false,
    createdAt: iso(T0 - 2_000),
    logPath: '/x',
    bundle: '/y',
  } as RuntimeContainer;
}

/** The pod status from runtime instances by container name, as the worker would compute it. */
function statusOf(pod: Pod, instances: Record<string, RuntimeContainer>, backoffMs?: number) {
  const creating = 'PodInitializing';
  const view = (spec: Container, policy: RestartPolicy): ContainerView => {
    const rec = newRecord(spec.name);
    rec.current = instances[spec.name];
    if (backoffMs) rec.restarts = { ...rec.restarts, backoffMs };
    return toView(spec, rec, policy, 'p_default(u1)', creating);
  };
  const initPolicy = pod.spec.restartPolicy === 'Never' ? 'Never' : 'OnFailure';
  return computePodStatus(pod, { hostIP: 'h', startTime: 's', containers: apps.map((c) => view(c, pod.spec.restartPolicy ?? 'Always')), initContainers: (pod.spec.initContainers ?? []).map((c) => view(c, initPolicy)) }, undefined, 'now');
}

describe('agent init container status', () => {
  it('a pod being initialized is Pending, not Initialized, its containers waiting with PodInitializing', () => {
    const status = statusOf(podWith('Always'), { fetch: runtimeInstance('fetch', 0, 'exited', 0), migrate: runtimeInstance('migrate', 0, 'running') });
    expect(status.phase).to.equal('Pending');
    const initialized = status.conditions?.find((c) => c.type === 'Initialized');
    expect(initialized).to.include({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [migrate]' });
    expect(status.initContainerStatuses?.map((s) => [s.name, s.ready, Object.keys(s.state ?? {})[0]])).to.deep.equal([
      ['fetch', true, 'terminated'],
      ['migrate', false, 'running'],
    ]);
    expect(status.initContainerStatuses?.[0]?.state?.terminated?.reason).to.equal('Completed');
    expect(status.containerStatuses?.map((s) => s.state?.waiting?.reason)).to.deep.equal(['PodInitializing', 'PodInitializing']);
  });

  it('a failed init container under Never makes the pod Failed with the init container terminated in Error', () => {
    const status = statusOf(podWith('Never'), { fetch: runtimeInstance('fetch', 0, 'exited', 3) });
    expect(status.phase).to.equal('Failed');
    expect(status.initContainerStatuses?.[0]?.state?.terminated).to.include({ exitCode: 3, reason: 'Error' });
    expect(status.containerStatuses?.every((s) => s.state?.waiting?.reason === 'PodInitializing')).to.equal(true);
  });

  it('a failing init container under Always is Pending in CrashLoopBackOff', () => {
    const status = statusOf(podWith('Always'), { fetch: runtimeInstance('fetch', 2, 'exited', 1) }, 500);
    expect(status.phase).to.equal('Pending');
    expect(status.initContainerStatuses?.[0]?.state?.waiting?.reason).to.equal('CrashLoopBackOff');
    expect(status.initContainerStatuses?.[0]?.restartCount).to.equal(2);
  });

  it('once every init container completed the pod is Initialized and Running with its app containers', () => {
    const status = statusOf(podWith('Always'), {
      fetch: runtimeInstance('fetch', 0, 'exited', 0),
      migrate: runtimeInstance('migrate', 0, 'exited', 0),
      web: runtimeInstance('web', 0, 'running'),
      log: runtimeInstance('log', 0, 'running'),
    });
    expect(status.phase).to.equal('Running');
    expect(status.conditions?.find((c) => c.type === 'Initialized')?.status).to.equal('True');
  });

  it('a multi-container pod under Never whose containers all exit 0 is Succeeded, each container Completed', () => {
    const pod = podWith('Never', []);
    const status = statusOf(pod, { web: runtimeInstance('web', 0, 'exited', 0), log: runtimeInstance('log', 0, 'exited', 0) });
    expect(status.phase).to.equal('Succeeded');
    expect(status.containerStatuses?.map((s) => s.state?.terminated?.reason)).to.deep.equal(['Completed', 'Completed']);
    expect(status.initContainerStatuses).to.equal(undefined);
  });
});
