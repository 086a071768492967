import { expect } from 'chai';
import type { ProbePlan } from '../../../node-agent/probes/probe-plan.js';
import {
  firstAttemptAt,
  initialProbeState,
  nextAttemptAt,
  recordOutcome,
  shouldReportFailure,
  unhealthyMessage,
  UNHEALTHY_EVENT_INTERVAL_MS,
  type ProbeOutcome,
  type ProbeState,
} from '../../../node-agent/probes/probe-state.js';

const pass: ProbeOutcome = { result: 'success' };
const fail: ProbeOutcome = { result: 'failure', message: 'HTTP probe failed with statuscode: 500' };
const error: ProbeOutcome = { result: 'error', message: 'the pod has no IP address to probe yet' };

function run(state: ProbeState, outcomes: ProbeOutcome[], thresholds: Pick<ProbePlan, 'successThreshold' | 'failureThreshold'>): string[] {
  const results: string[] = [];
  for (const o of outcomes) {
    state = recordOutcome(state, o, thresholds);
    results.push(state.result);
  }
  return results;
}

describe('probe decisions', () => {
  it('starts each kind where Kubernetes does: readiness not ready, liveness alive, startup unknown', () => {
    expect(initialProbeState('readiness').result).to.equal('failure');
    expect(initialProbeState('liveness').result).to.equal('success');
    expect(initialProbeState('startup').result).to.equal('unknown');
    expect(initialProbeState('readiness', 'success').result, 'an instance an earlier agent reported ready').to.equal('success');
  });

  it('becomes ready at the first pass with the default thresholds, and unready after three failures in a row', () => {
    const defaults = { successThreshold: 1, failureThreshold: 3 };
    expect(run(initialProbeState('readiness'), [fail, pass, fail, fail, pass, fail, fail, fail, pass], defaults)).to.deep.equal([
      'failure', 'success', 'success', 'success', 'success', 'success', 'success', 'failure', 'success',
    ]);
  });

  it('needs successThreshold passes in a row, a failure starting the count again', () => {
    expect(run(initialProbeState('readiness'), [pass, pass, fail, pass, pass, pass], { successThreshold: 3, failureThreshold: 1 })).to.deep.equal([
      'failure', 'failure', 'failure', 'failure', 'failure', 'success',
    ]);
  });

  it('fails at the first failure with failureThreshold 1, and leaves unknown alone below the threshold', () => {
    expect(run(initialProbeState('readiness', 'success'), [fail], { successThreshold: 1, failureThreshold: 1 })).to.deep.equal(['failure']);
    expect(run(initialProbeState('startup'), [fail, fail, fail], { successThreshold: 1, failureThreshold: 3 })).to.deep.equal(['unknown', 'unknown', 'failure']);
  });

  it('lets an attempt that could not be made count for nothing', () => {
    const twoFailures = recordOutcome(recordOutcome(initialProbeState('readiness', 'success'), fail, { successThreshold: 1, failureThreshold: 3 }), fail, { successThreshold: 1, failureThreshold: 3 });
    const afterError = recordOutcome(twoFailures, error, { successThreshold: 1, failureThreshold: 3 });
    expect(afterError).to.deep.equal(twoFailures);
    expect(recordOutcome(afterError, fail, { successThreshold: 1, failureThreshold: 3 }).result).to.equal('failure');
  });

  it('makes the first attempt initialDelaySeconds after the start, then one per period from the start of the last', () => {
    const started = Date.parse('2026-01-01T00:00:00Z');
    expect(firstAttemptAt(started, { initialDelayMs: 0 })).to.equal(started);
    expect(firstAttemptAt(started, { initialDelayMs: 5_000 })).to.equal(started + 5_000);
    expect(nextAttemptAt(started, started + 200, { periodMs: 10_000 }), 'an attempt that took 200 ms').to.equal(started + 10_000);
    expect(nextAttemptAt(started, started + 12_000, { periodMs: 10_000 }), 'an attempt that outlasted its period').to.equal(started + 12_000);
  });

  it('paces Unhealthy events to one per probe per interval, worded as Kubernetes does', () => {
    const t = 1_000_000;
    expect(shouldReportFailure(undefined, t)).to.equal(true);
    expect(shouldReportFailure(t, t + 1_000)).to.equal(false);
    expect(shouldReportFailure(t, t + UNHEALTHY_EVENT_INTERVAL_MS)).to.equal(true);
    expect(unhealthyMessage('readiness', { result: 'failure', message: 'HTTP probe failed with statuscode: 500' })).to.equal('Readiness probe failed: HTTP probe failed with statuscode: 500');
    expect(unhealthyMessage('liveness', { result: 'error', message: 'no port named "http" in container web' })).to.equal('Liveness probe errored: no port named "http" in container web');
  });
});
