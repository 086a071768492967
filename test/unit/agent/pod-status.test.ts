import { expect } from 'chai';
import type { Container, Pod } from '../../../proto/objects/pod.js';
import type { ContainerStatus as RuntimeContainer } from '../../../node-agent/runtime/index.js';
import { containerLabels } from '../../../node-agent/agent/container-naming.js';
import { newRecord, toView } from '../../../node-agent/agent/container-record.js';
import { computePodStatus, podPhase, terminatedReason, type ContainerView } from '../../../node-agent/agent/pod-status.js';

const spec: Container = { name: 'main', image: 'reg/app:v1' };
const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [spec], restartPolicy: 'Always' } };

function instance(n: number, state: RuntimeContainer['state'], extra: Partial<RuntimeContainer> = {}): RuntimeContainer {
  return {
    id: `u1_main_${n}`,
    name: 'main',
    state,
    image: 'reg/app:v1',
    imageDigest: 'sha256:abc',
    labels: containerLabels({ uid: 'u1', namespace: 'default', name: 'p' }, 'main', n),
    oomKilled: false,
    createdAt: '2026-01-01T00:00:00Z',
    logPath: '/x',
    bundle: '/y',
    ...extra,
  };
}

const running = (over: Partial<ContainerView> = {}): ContainerView => ({
  name: 'main', image: 'reg/app:v1', imageID: 'reg/app@sha256:abc', restartCount: 0, state: { kind: 'running', startedAt: 't1' }, finished: false, everStarted: true, ...over,
});

describe('agent pod status', () => {
  it('names terminations the Kubernetes way', () => {
    expect(terminatedReason({ exitCode: 0, oomKilled: false })).to.equal('Completed');
    expect(terminatedReason({ exitCode: 1, oomKilled: false })).to.equal('Error');
    expect(terminatedReason({ exitCode: 137, oomKilled: true })).to.equal('OOMKilled');
  });

  it('computes phases: Pending until every container started, Succeeded/Failed when all finished for good', () => {
    expect(podPhase([running({ state: { kind: 'waiting', reason: 'ContainerCreating' }, everStarted: false })])).to.equal('Pending');
    expect(podPhase([running()])).to.equal('Running');
    const done = (exitCode: number): ContainerView => running({ state: { kind: 'terminated', exitCode, oomKilled: false }, finished: true });
    expect(podPhase([done(0), done(0)])).to.equal('Succeeded');
    expect(podPhase([done(0), done(1)])).to.equal('Failed');
    expect(podPhase([done(0), running()])).to.equal('Running');
  });

  it('a running pod is Ready with all four conditions, hostIP, startTime and a running container status', () => {
    const status = computePodStatus(pod, { hostIP: '10.0.0.1', startTime: 's', containers: [running()] }, undefined, 'now');
    expect(status.phase).to.equal('Running');
    expect(status.hostIP).to.equal('10.0.0.1');
    expect(status.startTime).to.equal('s');
    expect(status.podIP).to.equal(undefined);
    expect(status.conditions?.map((c) => `${c.type}=${c.status}`)).to.have.members(['Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
    expect(status.containerStatuses?.[0]).to.include({ ready: true, restartCount: 0, image: 'reg/app:v1', imageID: 'reg/app@sha256:abc' });
    expect(status.containerStatuses?.[0]?.state).to.deep.equal({ running: { startedAt: 't1' } });
  });

  it('keeps condition transition times while their status holds, so an unchanged pod reports nothing new', () => {
    const first = computePodStatus(pod, { hostIP: 'h', startTime: 's', containers: [running()] }, undefined, 'time-1');
    const second = computePodStatus(pod, { hostIP: 'h', startTime: 's', containers: [running()] }, first, 'time-2');
    expect(JSON.stringify(second)).to.equal(JSON.stringify(first));
    const notReady = computePodStatus(pod, { hostIP: 'h', startTime: 's', containers: [running({ state: { kind: 'waiting', reason: 'CrashLoopBackOff' } })] }, first, 'time-3');
    expect(notReady.conditions?.find((c) => c.type === 'Ready')).to.include({ status: 'False', lastTransitionTime: 'time-3' });
    expect(notReady.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime).to.equal('time-1');
  });

  it('shows a crashed container in back-off as CrashLoopBackOff with the exit in lastState and the instance as restartCount', () => {
    const rec = newRecord('main');
    rec.current = instance(2, 'exited', { exitCode: 1, startedAt: 'a', finishedAt: 'b' });
    rec.previous = instance(1, 'exited', { exitCode: 1 });
    rec.restarts.backoffMs = 500;
    const view = toView(spec, rec, 'Always', 'p_default(u1)');
    expect(view.state).to.deep.equal({ kind: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 500ms restarting failed container=main pod=p_default(u1)' });
    expect(view.restartCount).to.equal(2);
    expect(view.lastTerminated).to.include({ exitCode: 1, startedAt: 'a', finishedAt: 'b', containerID: 'berth://u1_main_2' });
  });

  it('shows a container that will not restart as terminated, and OOM kills as OOMKilled', () => {
    const rec = newRecord('main');
    rec.current = instance(0, 'exited', { exitCode: 137, oomKilled: true });
    const view = toView(spec, rec, 'Never', 'p');
    expect(view.finished).to.equal(true);
    const status = computePodStatus(pod, { hostIP: 'h', startTime: 's', containers: [view] }, undefined, 'n');
    expect(status.phase).to.equal('Failed');
    expect(status.containerStatuses?.[0]?.state?.terminated).to.include({ exitCode: 137, reason: 'OOMKilled' });
  });

  it('shows an image pull failure as waiting with the registry\'s message', () => {
    const rec = newRecord('main');
    rec.waiting = { reason: 'ErrImagePull', message: 'image "reg/app:v1" not found: manifest unknown' };
    const s = computePodStatus(pod, { hostIP: 'h', startTime: 's', containers: [toView(spec, rec, 'Always', 'p')] }, undefined, 'n');
    expect(s.phase).to.equal('Pending');
    expect(s.containerStatuses?.[0]?.state?.waiting).to.deep.equal(rec.waiting);
    expect(s.containerStatuses?.[0]?.ready).to.equal(false);
  });
});
