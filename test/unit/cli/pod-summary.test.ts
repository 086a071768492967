import { expect } from 'chai';
import { podSummary } from '../../../cli/printers/pod-summary.js';
import type { Condition } from '../../../proto/objects/meta.js';
import type { ContainerState, ContainerStatus, Pod, PodPhase } from '../../../proto/objects/pod.js';

function status(name: string, state: ContainerState, extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name, state, ready: false, restartCount: 0, image: 'x', imageID: '', ...extra };
}
const waiting = (reason: string): ContainerState => ({ waiting: { reason } });
const terminated = (exitCode: number, reason?: string): ContainerState => ({ terminated: { exitCode, ...(reason ? { reason } : {}) } });
const running: ContainerState = { running: { startedAt: 't' } };
const cond = (type: string, ok: boolean): Condition => ({ type, status: ok ? 'True' : 'False' });

/** A pod with init containers `i1`, `i2` and app containers `a`, `b`. */
function pod(phase: PodPhase, inits: ContainerStatus[], apps: ContainerStatus[], conditions: Condition[] = [], extra: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...extra },
    spec: { initContainers: [{ name: 'i1', image: 'x' }, { name: 'i2', image: 'x' }], containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] },
    status: { phase, conditions, initContainerStatuses: inits, containerStatuses: apps },
  };
}
const initializing = [cond('Initialized', false), cond('Ready', false)];
const appsWaiting = [status('a', waiting('PodInitializing')), status('b', waiting('PodInitializing'))];

describe('berth get pods: READY, STATUS and RESTARTS as kubectl prints them', () => {
  it('counts the init containers done while they run: Init:0/2, then Init:1/2', () => {
    expect(podSummary(pod('Pending', [status('i1', waiting('PodInitializing')), status('i2', waiting('PodInitializing'))], appsWaiting, initializing))).to.deep.equal({ ready: '0/2', status: 'Init:0/2', restarts: 0 });
    const second = pod('Pending', [status('i1', terminated(0, 'Completed'), { ready: true }), status('i2', running)], appsWaiting, initializing);
    expect(podSummary(second).status).to.equal('Init:1/2');
  });

  it('shows a failed init container as Init:Error, one in back-off as Init:CrashLoopBackOff with its restarts', () => {
    expect(podSummary(pod('Failed', [status('i1', terminated(1, 'Error')), status('i2', waiting('PodInitializing'))], appsWaiting, initializing)).status).to.equal('Init:Error');
    const looping = pod('Pending', [status('i1', waiting('CrashLoopBackOff'), { restartCount: 3 }), status('i2', waiting('PodInitializing'))], appsWaiting, initializing);
    expect(podSummary(looping)).to.deep.equal({ ready: '0/2', status: 'Init:CrashLoopBackOff', restarts: 3 });
    expect(podSummary(pod('Pending', [status('i1', terminated(2))], appsWaiting, initializing)).status).to.equal('Init:ExitCode:2');
  });

  it('shows PodInitializing once the init containers are done and the app containers are being created', () => {
    const done = [status('i1', terminated(0, 'Completed'), { ready: true, restartCount: 1 }), status('i2', terminated(0, 'Completed'), { ready: true })];
    expect(podSummary(pod('Pending', done, appsWaiting, [cond('Initialized', true), cond('Ready', false)]))).to.deep.equal({ ready: '0/2', status: 'PodInitializing', restarts: 0 });
  });

  it('a running pod counts its ready app containers, the first container reason winning', () => {
    const done = [status('i1', terminated(0, 'Completed')), status('i2', terminated(0, 'Completed'))];
    const apps = [status('a', running, { ready: true, restartCount: 2 }), status('b', running, { ready: true })];
    expect(podSummary(pod('Running', done, apps, [cond('Initialized', true), cond('Ready', true)]))).to.deep.equal({ ready: '2/2', status: 'Running', restarts: 2 });
    const both = [status('a', waiting('CrashLoopBackOff')), status('b', waiting('ErrImagePull'))];
    expect(podSummary(pod('Running', done, both, [cond('Initialized', true)])).status).to.equal('CrashLoopBackOff');
  });

  it('Completed for a finished pod; NotReady or Running when one container completed and another still runs', () => {
    const done = [status('i1', terminated(0, 'Completed')), status('i2', terminated(0, 'Completed'))];
    const finished = [status('a', terminated(0, 'Completed')), status('b', terminated(0, 'Completed'))];
    expect(podSummary(pod('Succeeded', done, finished, [cond('Initialized', true)])).status).to.equal('Completed');
    const half = [status('a', running, { ready: true }), status('b', terminated(0, 'Completed'))];
    expect(podSummary(pod('Running', done, half, [cond('Initialized', true), cond('Ready', false)]))).to.deep.equal({ ready: '1/2', status: 'NotReady', restarts: 0 });
    expect(podSummary(pod('Running', done, half, [cond('Initialized', true), cond('Ready', true)])).status).to.equal('Running');
  });

  it('Terminating for a pod being deleted, unless its phase is final', () => {
    const apps = [status('a', running, { ready: true }), status('b', running, { ready: true })];
    expect(podSummary(pod('Running', [], apps, [], { deletionTimestamp: 't' })).status).to.equal('Terminating');
    const finished = [status('a', terminated(0, 'Completed')), status('b', terminated(0, 'Completed'))];
    expect(podSummary(pod('Succeeded', [], finished, [], { deletionTimestamp: 't' })).status).to.equal('Completed');
  });
});
