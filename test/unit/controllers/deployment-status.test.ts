import { expect } from 'chai';
import { deploymentStatus, progressCheckInMs } from '../../../control-plane/controllers/deployment-status.js';
import { deployment, revisionRS as rs } from './fixtures.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('Deployment status', () => {
  it('reports a finished deployment as Available and Progressing with NewReplicaSetAvailable', () => {
    const d = deployment(3);
    const current = rs('new', 2, 3, { replicas: 3, readyReplicas: 3, availableReplicas: 3 });
    const status = deploymentStatus(d, [rs('old', 1, 0), current], current, false, T0);
    expect(status).to.deep.include({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 });
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).to.deep.equal([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    // Recomputing the same state changes nothing, so no write follows.
    const again = deploymentStatus({ ...d, status }, [current], current, false, T0 + 300_000);
    expect(again).to.deep.equal(status);
  });

  it('reports missing availability while pods start', () => {
    const d = deployment(4);
    const current = rs('new', 1, 4, { replicas: 4, readyReplicas: 1, availableReplicas: 1 });
    const status = deploymentStatus(d, [current], current, false, T0);
    expect(status.unavailableReplicas).to.equal(3);
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).to.deep.equal([
      ['Available', 'False', 'MinimumReplicasUnavailable'],
      ['Progressing', 'True', 'ReplicaSetUpdated'],
    ]);
  });

  it('dates Progressing by the last step forward, and declares ProgressDeadlineExceeded after progressDeadlineSeconds without one', () => {
    const d = deployment(2);
    d.spec.progressDeadlineSeconds = 600;
    const stuck = rs('new', 1, 2, { replicas: 2, readyReplicas: 0, availableReplicas: 0 });
    const first = deploymentStatus(d, [stuck], stuck, false, T0);
    const progressing = () => first.conditions?.find((c) => c.type === 'Progressing');
    expect(progressing()).to.include({ status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: '2026-01-01T00:00:00Z' });
    // The controller looks again when the deadline would pass.
    expect(progressCheckInMs(d, first, T0 + 1000)).to.equal(600_000);

    // One pod becomes ready at +5 min: progress re-dates the condition.
    const step = rs('new', 1, 2, { replicas: 2, readyReplicas: 1, availableReplicas: 1 });
    const second = deploymentStatus({ ...d, status: first }, [step], step, false, T0 + 300_000);
    expect(second.conditions?.find((c) => c.type === 'Progressing')).to.include({ status: 'True', lastUpdateTime: '2026-01-01T00:05:00Z' });

    // Nothing more for 10 minutes after that: stuck.
    const late = deploymentStatus({ ...d, status: second }, [step], step, false, T0 + 300_000 + 600_000);
    expect(late.conditions?.find((c) => c.type === 'Progressing')).to.include({ status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-new" has timed out progressing.' });
    expect(progressCheckInMs(d, late, T0 + 900_000)).to.equal(undefined);
    // It stays stuck until it moves again; then it is progressing again.
    const still = deploymentStatus({ ...d, status: late }, [step], step, false, T0 + 1_000_000);
    expect(still.conditions?.find((c) => c.type === 'Progressing')?.reason).to.equal('ProgressDeadlineExceeded');
    const done = rs('new', 1, 2, { replicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect(deploymentStatus({ ...d, status: still }, [done], done, false, T0 + 1_100_000).conditions?.find((c) => c.type === 'Progressing')).to.include({ status: 'True', reason: 'NewReplicaSetAvailable' });
  });

  it('counts terminating pods, and is not done until they are gone (TerminationComplete)', () => {
    const d = deployment(3);
    const current = rs('new', 2, 3, { replicas: 3, readyReplicas: 3, availableReplicas: 3 });
    const old = rs('old', 1, 0, { replicas: 0, terminatingReplicas: 2 });
    const status = deploymentStatus(d, [old, current], current, false, T0);
    expect(status).to.deep.include({ replicas: 3, updatedReplicas: 3, availableReplicas: 3, unavailableReplicas: 0, terminatingReplicas: 2 });
    expect(status.conditions?.find((c) => c.type === 'Progressing')?.reason).to.equal('ReplicaSetUpdated');
    // One finishes: that is progress, re-dated.
    const fewer = rs('old', 1, 0, { replicas: 0, terminatingReplicas: 1 });
    const later = deploymentStatus({ ...d, status }, [fewer, current], current, false, T0 + 5000);
    expect(later.conditions?.find((c) => c.type === 'Progressing')).to.include({ reason: 'ReplicaSetUpdated', lastUpdateTime: '2026-01-01T00:00:05Z' });
    const gone = rs('old', 1, 0, { replicas: 0, terminatingReplicas: 0 });
    expect(deploymentStatus({ ...d, status: later }, [gone, current], current, false, T0 + 6000).conditions?.find((c) => c.type === 'Progressing')?.reason).to.equal('NewReplicaSetAvailable');
    // Under TerminationStarted the rollout is done as soon as the new pods are.
    const started = { ...d, spec: { ...d.spec, podReplacementPolicy: 'TerminationStarted' as const } };
    expect(deploymentStatus(started, [old, current], current, false, T0).conditions?.find((c) => c.type === 'Progressing')?.reason).to.equal('NewReplicaSetAvailable');
  });

  it('counts unavailable replicas against every ReplicaSet\'s spec, as Kubernetes does', () => {
    const d = deployment(10);
    const current = rs('new', 2, 3, { replicas: 3, availableReplicas: 0 });
    const old = rs('old', 1, 8, { replicas: 8, readyReplicas: 8, availableReplicas: 8 });
    expect(deploymentStatus(d, [old, current], current, false, T0)).to.deep.include({ replicas: 11, updatedReplicas: 3, availableReplicas: 8, unavailableReplicas: 3 });
  });

  it('says Progressing Unknown DeploymentPaused while paused, DeploymentResumed after, and the deadline counts from the resume', () => {
    const d = deployment(2);
    d.spec.progressDeadlineSeconds = 60;
    d.spec.paused = true;
    const current = rs('new', 1, 2, { replicas: 2, readyReplicas: 0, availableReplicas: 0 });
    const paused = deploymentStatus(d, [current], current, false, T0);
    expect(paused.conditions?.find((c) => c.type === 'Progressing')).to.include({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
    expect(progressCheckInMs(d, paused, T0)).to.equal(undefined);
    const resumedSpec = { ...d, spec: { ...d.spec, paused: false }, status: paused };
    const resumed = deploymentStatus(resumedSpec, [current], current, false, T0 + 3_600_000);
    expect(resumed.conditions?.find((c) => c.type === 'Progressing')).to.include({ status: 'Unknown', reason: 'DeploymentResumed', lastUpdateTime: '2026-01-01T01:00:00Z' });
    // Not stuck 30 s after the resume, although paused for an hour; stuck 61 s after it.
    expect(deploymentStatus({ ...resumedSpec, status: resumed }, [current], current, false, T0 + 3_630_000).conditions?.find((c) => c.type === 'Progressing')?.reason).to.equal('DeploymentResumed');
    expect(deploymentStatus({ ...resumedSpec, status: resumed }, [current], current, false, T0 + 3_661_000).conditions?.find((c) => c.type === 'Progressing')?.reason).to.equal('ProgressDeadlineExceeded');
  });
});
