import { expect } from 'chai';
import type { Container, Pod, RestartPolicy } from '../../../proto/objects/pod.js';
import { containerLabels } from '../../../node-agent/agent/container-naming.js';
import {
  afterCreateError,
  afterPullError,
  afterStart,
  decidePod,
  newRestartState,
  type ContainerAction,
  type ContainerDecision,
  type ContainerFacts,
  type InstanceFacts,
  type RestartState,
} from '../../../node-agent/agent/pod-decision.js';

/** An arbitrary clock origin: decisions only compare times. */
const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function podWith(containers: Container[], extra: Partial<Pod['spec']> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers, ...extra } };
}
const main: Container = { name: 'main', image: 'reg/app:v1' };

function instance(n: number, state: InstanceFacts['state'], extra: Partial<InstanceFacts> = {}): InstanceFacts {
  return { id: `u1_main_${n}`, state, image: 'reg/app:v1', labels: containerLabels({ uid: 'u1', namespace: 'default', name: 'p' }, 'main', n), ...extra };
}

/** Instance `n` that ran for `ranForMs` and exited with `exitCode` at `endedAt`. */
function exited(n: number, exitCode: number, endedAt: number, ranForMs = 1_000): InstanceFacts {
  return instance(n, 'exited', { exitCode, startedAt: iso(endedAt - ranForMs), finishedAt: iso(endedAt) });
}

/** The decision about the pod's only container `main`. */
function decide(facts: ContainerFacts | undefined, now: number, spec: Partial<Pod['spec']> = {}, container: Container = main): ContainerDecision {
  const containers = new Map(facts ? [['main', facts]] : []);
  const [decision] = decidePod({ pod: podWith([container], spec), containers, now, terminating: false });
  if (!decision) throw new Error('no decision for container main');
  return decision;
}

/** The restart a decision returned; fails the test when it returned something else. */
function restartOf(decision: ContainerDecision): Extract<ContainerAction, { kind: 'restart' }> {
  if (decision.action.kind !== 'restart') throw new Error(`expected a restart, got ${JSON.stringify(decision.action)}`);
  return decision.action;
}

/**
 * Runs a crash loop of `crashes` instances that each ran `ranForMs` before exiting 1, as the
 * worker would: decide, keep `next`, wait out the back-off, start, and returns the delays chosen.
 */
function crashLoop(crashes: number, ranForMs: number, start: { restarts: RestartState; instance: number; now: number }): { delays: number[]; restarts: RestartState; now: number } {
  let { restarts, instance: n, now } = start;
  const delays: number[] = [];
  for (let i = 0; i < crashes; i++, n++) {
    now += ranForMs;
    const current = exited(n, 1, now, ranForMs);
    const decision = decide({ current, restarts }, now);
    const { delayMs, instance: next } = restartOf(decision);
    expect(next).to.equal(n + 1);
    delays.push(delayMs);
    restarts = decision.next;
    // The same exit is accounted once: later decisions wait out the delay, then start.
    if (delayMs > 0) expect(decide({ current, restarts }, now + delayMs - 1).action).to.deep.equal({ kind: 'wait', until: now + delayMs, reason: 'CrashLoopBackOff' });
    now += delayMs;
    expect(decide({ current, restarts }, now).action).to.deep.equal({ kind: 'start', instance: n + 1 });
    restarts = afterStart(restarts);
  }
  return { delays, restarts, now };
}

describe('agent pod decision', () => {
  it('starts instance 0 of a container that never ran, and leaves a running one alone', () => {
    expect(decide(undefined, T0).action).to.deep.equal({ kind: 'start', instance: 0 });
    expect(decide({ restarts: newRestartState() }, T0).action).to.deep.equal({ kind: 'start', instance: 0 });
    expect(decide({ current: instance(3, 'running'), restarts: newRestartState() }, T0).action).to.deep.equal({ kind: 'none' });
  });

  it('lets an instance that was created but never started run', () => {
    expect(decide({ current: instance(2, 'created'), restarts: newRestartState() }, T0).action).to.deep.equal({ kind: 'resume', id: 'u1_main_2' });
  });

  describe('restartPolicy', () => {
    const cases: Array<[RestartPolicy | undefined, number, boolean]> = [
      [undefined, 0, true],
      ['Always', 0, true],
      ['Always', 1, true],
      ['OnFailure', 0, false],
      ['OnFailure', 3, true],
      ['OnFailure', 137, true],
      ['Never', 0, false],
      ['Never', 1, false],
    ];
    for (const [policy, exitCode, restarts] of cases) {
      it(`${policy ?? 'unset (Always)'} ${restarts ? 'restarts' : 'does not restart'} a container that exited ${exitCode}`, () => {
        const decision = decide({ current: exited(0, exitCode, T0), restarts: newRestartState() }, T0, policy ? { restartPolicy: policy } : {});
        if (restarts) {
          expect(decision.action).to.deep.equal({ kind: 'restart', instance: 1, delayMs: 0 });
          expect(decision.next).to.include({ crashes: 1, exitHandled: 'u1_main_0' });
        } else {
          expect(decision.action).to.deep.equal({ kind: 'none' });
          expect(decision.next).to.deep.equal(newRestartState());
        }
      });
    }
  });

  describe('crash back-off', () => {
    it('restarts at once, then after 250 ms, 500 ms, 1 s, 2 s, 4 s, then every 5 s', () => {
      const { delays } = crashLoop(9, 1_000, { restarts: newRestartState(), instance: 0, now: T0 });
      expect(delays).to.deep.equal([0, 250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
    });

    it('shows the chosen delay in the restart state, for the CrashLoopBackOff message', () => {
      const { restarts, now } = crashLoop(3, 1_000, { restarts: newRestartState(), instance: 0, now: T0 });
      const decision = decide({ current: exited(3, 1, now + 1_000), restarts }, now + 1_000);
      expect(decision.next).to.include({ backoffMs: 1_000, crashes: 4 });
      expect(decision.next.retry).to.deep.equal({ at: now + 2_000, reason: 'CrashLoopBackOff' });
    });

    it('starts the schedule over after a clean run of 10 s, not after 9.999 s', () => {
      const looped = crashLoop(5, 1_000, { restarts: newRestartState(), instance: 0, now: T0 });
      const almost = crashLoop(1, 9_999, { ...looped, instance: 5 });
      expect(almost.delays).to.deep.equal([4_000]);
      const clean = crashLoop(3, 10_000, { ...looped, instance: 5 });
      expect(clean.delays[0]).to.equal(0);
      const after = crashLoop(2, 1_000, { ...clean, instance: 8 });
      expect([...clean.delays, ...after.delays]).to.deep.equal([0, 0, 0, 250, 500]);
    });

    it('accounts each exit once: a decision about the same exited instance never restarts it twice', () => {
      const current = exited(0, 1, T0);
      const first = decide({ current, restarts: newRestartState() }, T0);
      const again = decide({ current, restarts: first.next }, T0);
      expect(again.action).to.deep.equal({ kind: 'start', instance: 1 });
      expect(again.next.crashes).to.equal(1);
    });
  });

  describe('exit code not yet recorded', () => {
    const ended = instance(0, 'exited', { startedAt: iso(T0 - 5_000) });

    it('waits, looking again every 50 ms, for the monitor to record the exit code', () => {
      const first = decide({ current: ended, restarts: newRestartState() }, T0);
      expect(first.action).to.deep.equal({ kind: 'wait', until: T0 + 50, reason: 'ExitNotRecorded' });
      expect(first.next.exitUnrecordedSince).to.equal(T0);
      const later = decide({ current: ended, restarts: first.next }, T0 + 1_990);
      expect(later.action).to.deep.equal({ kind: 'wait', until: T0 + 2_000, reason: 'ExitNotRecorded' });
    });

    it('after 2 s treats the exit as code 255: restarted under Always and OnFailure, not under Never', () => {
      const waited = decide({ current: ended, restarts: newRestartState() }, T0).next;
      expect(decide({ current: ended, restarts: waited }, T0 + 2_000).action).to.deep.equal({ kind: 'restart', instance: 1, delayMs: 0 });
      expect(decide({ current: ended, restarts: waited }, T0 + 2_000, { restartPolicy: 'OnFailure' }).action.kind).to.equal('restart');
      expect(decide({ current: ended, restarts: waited }, T0 + 2_000, { restartPolicy: 'Never' }).action).to.deep.equal({ kind: 'none' });
    });

    it('decides on the recorded code as soon as it is there', () => {
      const waited = decide({ current: ended, restarts: newRestartState() }, T0).next;
      const recorded = { ...ended, exitCode: 0, finishedAt: iso(T0) };
      expect(decide({ current: recorded, restarts: waited }, T0 + 60, { restartPolicy: 'OnFailure' }).action).to.deep.equal({ kind: 'none' });
    });
  });

  describe('image changed in the spec', () => {
    const running = instance(2, 'running', { image: 'reg/app:v1' });

    it('kills the running instance and starts the next one at once, whatever the restartPolicy', () => {
      for (const restartPolicy of ['Always', 'OnFailure', 'Never'] as const) {
        const decision = decide({ current: running, restarts: newRestartState() }, T0, { restartPolicy, terminationGracePeriodSeconds: 7 }, { name: 'main', image: 'reg/app:v2' });
        expect(decision.action).to.deep.equal({ kind: 'kill', id: 'u1_main_2', reason: 'ImageChanged', gracePeriodMs: 7_000, thenStart: 3 });
        // The kill's exit is no crash: the decision marks it accounted.
        expect(decision.next).to.deep.equal({ crashes: 0, exitHandled: 'u1_main_2' });
      }
    });

    it('gives the kill the default grace period of 30 s, and sees through equivalent references', () => {
      const official = instance(0, 'running', { image: 'docker.io/library/busybox:latest' });
      expect(decide({ current: official, restarts: newRestartState() }, T0, {}, { name: 'main', image: 'busybox' }).action).to.deep.equal({ kind: 'none' });
      const kill = decide({ current: official, restarts: newRestartState() }, T0, {}, { name: 'main', image: 'busybox:1.36' }).action;
      expect(kill).to.include({ kind: 'kill', gracePeriodMs: 30_000 });
    });
  });

  describe('create and pull errors', () => {
    it('retries a failed create on the back-off schedule: 250 ms, 500 ms, 1 s…', () => {
      let restarts = newRestartState();
      let now = T0;
      const delays: number[] = [];
      for (let i = 0; i < 4; i++) {
        restarts = afterCreateError(restarts, now);
        const retryAt = restarts.retry?.at ?? NaN;
        delays.push(retryAt - now);
        expect(decide({ restarts }, retryAt - 1).action).to.deep.equal({ kind: 'wait', until: retryAt, reason: 'CreateContainerError' });
        expect(decide({ restarts }, retryAt).action).to.deep.equal({ kind: 'start', instance: 0 });
        now = retryAt;
      }
      expect(delays).to.deep.equal([250, 500, 1_000, 2_000]);
    });

    it('retries the create of a restart after its own back-off, then starts the same next instance', () => {
      const current = exited(4, 1, T0);
      const restart = decide({ current, restarts: newRestartState() }, T0);
      const failed = afterCreateError(restart.next, T0);
      expect(decide({ current, restarts: failed }, T0 + 100).action).to.deep.equal({ kind: 'wait', until: T0 + 500, reason: 'CreateContainerError' });
      expect(decide({ current, restarts: failed }, T0 + 500).action).to.deep.equal({ kind: 'start', instance: 5 });
    });

    it('waits out an image pull retry, then starts', () => {
      const restarts = afterPullError(newRestartState(), 2_000, T0);
      expect(decide({ restarts }, T0 + 1_999).action).to.deep.equal({ kind: 'wait', until: T0 + 2_000, reason: 'ImagePullBackOff' });
      expect(decide({ restarts }, T0 + 2_000).action).to.deep.equal({ kind: 'start', instance: 0 });
    });

    it('forgets pending retries and back-off once an instance has started, keeping the crash count', () => {
      const pending: RestartState = { crashes: 3, retry: { at: T0, reason: 'CrashLoopBackOff' }, backoffMs: 500, exitHandled: 'u1_main_2', exitUnrecordedSince: T0 };
      expect(afterStart(pending)).to.deep.equal({ crashes: 3, exitHandled: 'u1_main_2' });
    });
  });

  describe('liveness and startup failures', () => {
    it('kills an instance its liveness probe found failed, with the pod\'s grace period, and restarts it after the exit with back-off', () => {
      const running = instance(2, 'running', { startedAt: iso(T0 - 5_000) });
      const restarts: RestartState = { crashes: 2, exitHandled: 'u1_main_1' };
      const kill = decide({ current: running, restarts, unhealthy: { id: 'u1_main_2', probe: 'liveness' } }, T0, { terminationGracePeriodSeconds: 7 });
      expect(kill.action).to.deep.equal({ kind: 'kill', id: 'u1_main_2', reason: 'LivenessProbeFailed', gracePeriodMs: 7_000 });
      expect(kill.next, 'the exit is not accounted yet').to.deep.equal(restarts);
      // The killed instance exits 137: a crash like any other, under restartPolicy Always.
      const after = decide({ current: exited(2, 137, T0 + 100, 5_100), restarts: kill.next }, T0 + 100);
      expect(restartOf(after)).to.deep.equal({ kind: 'restart', instance: 3, delayMs: 500 });
      expect(after.next).to.include({ crashes: 3, backoffMs: 500, exitHandled: 'u1_main_2' });
    });

    it('uses the probe\'s own terminationGracePeriodSeconds, and kills for a failed startup probe alike', () => {
      const container: Container = { ...main, startupProbe: { exec: { command: ['true'] }, terminationGracePeriodSeconds: 2 } };
      const kill = decide({ current: instance(0, 'running'), restarts: newRestartState(), unhealthy: { id: 'u1_main_0', probe: 'startup' } }, T0, {}, container);
      expect(kill.action).to.deep.equal({ kind: 'kill', id: 'u1_main_0', reason: 'StartupProbeFailed', gracePeriodMs: 2_000 });
    });

    it('does not restart a liveness-killed instance under restartPolicy Never', () => {
      const after = decide({ current: exited(0, 137, T0), restarts: newRestartState() }, T0, { restartPolicy: 'Never' });
      expect(after.action).to.deep.equal({ kind: 'none' });
    });

    it('ignores a failure of an earlier instance', () => {
      const decision = decide({ current: instance(3, 'running'), restarts: newRestartState(), unhealthy: { id: 'u1_main_2', probe: 'liveness' } }, T0);
      expect(decision.action).to.deep.equal({ kind: 'none' });
    });
  });

  it('decides for every container of the pod, in spec order', () => {
    const pod = podWith([main, { name: 'side', image: 'reg/side:v1' }]);
    const containers = new Map<string, ContainerFacts>([['main', { current: instance(0, 'running'), restarts: newRestartState() }]]);
    const decisions = decidePod({ pod, containers, now: T0, terminating: false });
    expect(decisions.map((d) => [d.name, d.action])).to.deep.equal([
      ['main', { kind: 'none' }],
      ['side', { kind: 'start', instance: 0 }],
    ]);
  });

  it('kills every running instance of a terminating pod and starts nothing', () => {
    const pod = podWith([main, { name: 'done', image: 'reg/app:v1' }, { name: 'never', image: 'reg/app:v1' }], { terminationGracePeriodSeconds: 3 });
    const containers = new Map<string, ContainerFacts>([
      ['main', { current: instance(1, 'running'), restarts: newRestartState() }],
      ['done', { current: exited(0, 1, T0), restarts: newRestartState() }],
    ]);
    const decisions = decidePod({ pod, containers, now: T0, terminating: true });
    expect(decisions.map((d) => [d.name, d.action])).to.deep.equal([
      ['main', { kind: 'kill', id: 'u1_main_1', reason: 'PodTerminating', gracePeriodMs: 3_000 }],
      ['done', { kind: 'none' }],
    ]);
  });
});
