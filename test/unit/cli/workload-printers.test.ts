import { expect } from 'chai';
import { COLUMNS } from '../../../cli/printers/columns.js';
import { describeObject } from '../../../cli/printers/describe.js';
import { daemonSetRolloutState } from '../../../cli/rollout/daemonset-status.js';
import type { DaemonSet } from '../../../proto/objects/daemonset.js';
import type { Job } from '../../../proto/objects/job.js';
import type { Pod } from '../../../proto/objects/pod.js';

const CREATED = '2026-01-01T00:00:00Z';
const T0 = Date.parse(CREATED);

function job(spec: Partial<Job['spec']>, status: Job['status']): Job {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', namespace: 'default', creationTimestamp: CREATED }, spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } }, ...spec }, status };
}

const ds: DaemonSet = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'fluentd', namespace: 'kube-system', creationTimestamp: CREATED, generation: 2 },
  spec: { selector: { matchLabels: { name: 'fluentd' } }, template: { metadata: { labels: { name: 'fluentd' } }, spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'fluentd', image: 'fluentd:v2' }] } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } },
  status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 1, numberAvailable: 2, numberMisscheduled: 0, observedGeneration: 2 },
};

describe('CLI printers for DaemonSets and Jobs', () => {
  it('prints a DaemonSet row as kubectl: DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE', () => {
    expect(COLUMNS.DaemonSet?.headers).to.deep.equal(['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE']);
    expect(COLUMNS.DaemonSet?.row(ds, T0 + 90_000)).to.deep.equal(['fluentd', '3', '3', '2', '1', '2', 'disk=ssd', '90s']);
    expect(COLUMNS.DaemonSet?.wideRow(ds)).to.deep.equal(['fluentd', 'fluentd:v2', 'name=fluentd']);
  });

  it('prints a Job row as kubectl 1.30+: STATUS, COMPLETIONS and DURATION', () => {
    expect(COLUMNS.Job?.headers).to.deep.equal(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    const running = job({ completions: 5, parallelism: 2 }, { startTime: CREATED, succeeded: 3 });
    expect(COLUMNS.Job?.row(running, T0 + 75_000)).to.deep.equal(['pi', 'Running', '3/5', '75s', '75s']);
    const complete = job({ completions: 5 }, { startTime: CREATED, completionTime: '2026-01-01T00:00:42Z', succeeded: 5, conditions: [{ type: 'Complete', status: 'True' }] });
    expect(COLUMNS.Job?.row(complete, T0 + 600_000)).to.deep.equal(['pi', 'Complete', '5/5', '42s', '10m']);
    const failed = job({ completions: 1 }, { startTime: CREATED, failed: 7, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] });
    expect(COLUMNS.Job?.row(failed, T0 + 30_000).slice(1, 3)).to.deep.equal(['Failed', '0/1']);
    expect(COLUMNS.Job?.row(job({ parallelism: 3 }, { succeeded: 1 }), T0).slice(1, 4)).to.deep.equal(['Running', '1/1 of 3', '']);
  });

  it('describes a DaemonSet with its node counts and pod phases, and a Job with its limits, times and conditions', () => {
    const pods = [{ status: { phase: 'Running' } }, { status: { phase: 'Running' } }, { status: { phase: 'Pending' } }] as Pod[];
    const text = describeObject(ds, [], T0, { pods });
    expect(text).to.match(/Desired Number of Nodes Scheduled:\s+3\n/);
    expect(text).to.match(/Pods Status:\s+2 Running \/ 1 Waiting \/ 0 Succeeded \/ 0 Failed/);
    expect(text).to.match(/Node-Selector:\s+disk=ssd/);
    const j = job({ completions: 5, parallelism: 2, backoffLimit: 4, activeDeadlineSeconds: 100 }, { startTime: CREATED, completionTime: '2026-01-01T00:01:05Z', succeeded: 5, conditions: [{ type: 'Complete', status: 'True', reason: 'CompletionsReached' }] });
    const jt = describeObject(j, [], T0);
    expect(jt).to.match(/Parallelism:\s+2\n/);
    expect(jt).to.match(/Backoff Limit:\s+4\n/);
    expect(jt).to.match(/Duration:\s+65s\n/);
    expect(jt).to.match(/Active Deadline Seconds:\s+100s\n/);
    expect(jt).to.match(/Pods Statuses:\s+0 Active \(0 Ready\) \/ 5 Succeeded \/ 0 Failed/);
    expect(jt).to.match(/Complete\s+True\s+CompletionsReached/);
  });

  it('judges a DaemonSet rollout with kubectl\'s messages', () => {
    expect(daemonSetRolloutState(ds)).to.deep.equal({ done: false, message: 'Waiting for daemon set "fluentd" rollout to finish: 1 out of 3 new pods have been updated...' });
    const updated = { ...ds, status: { ...ds.status!, updatedNumberScheduled: 3 } };
    expect(daemonSetRolloutState(updated).message).to.equal('Waiting for daemon set "fluentd" rollout to finish: 2 of 3 updated pods are available...');
    expect(daemonSetRolloutState({ ...updated, status: { ...updated.status, numberAvailable: 3 } })).to.deep.equal({ done: true, message: 'daemon set "fluentd" successfully rolled out' });
    expect(daemonSetRolloutState({ ...ds, metadata: { ...ds.metadata, generation: 3 } }).message).to.equal('Waiting for daemon set spec update to be observed...');
    expect(() => daemonSetRolloutState({ ...ds, spec: { ...ds.spec, updateStrategy: { type: 'OnDelete' } } })).to.throw('rollout status is only available for RollingUpdate strategy type');
  });
});
