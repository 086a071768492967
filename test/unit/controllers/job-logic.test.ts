import { expect } from 'chai';
import type { Job } from '../../../proto/objects/job.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { apiTimestamp } from '../../../proto/time.js';
import { countPods, decideJob, failureBackoffMs, jobPodFor, jobStatus, ttlExpiresInMs } from '../../../control-plane/controllers/job-logic.js';
import { generateJobSelector } from '../../../control-plane/objects/job-selector.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const BASE = 10_000;

function job(spec: Partial<Job['spec']> = {}, status: Job['status'] = { startTime: apiTimestamp(START) }): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'job-uid', generation: 1 },
    spec: { completions: 1, parallelism: 1, backoffLimit: 6, template: { metadata: { labels: { app: 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
    status,
  };
}

/** A pod of the Job in `phase`; a finished one ended `endedAt` ms after START. */
function jobPod(name: string, phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed', endedAt = 0, restarts = 0): Pod {
  const p = jobPodFor(job(), name, { uid: name, creationTimestamp: apiTimestamp(START) });
  const finished = phase === 'Succeeded' || phase === 'Failed';
  p.status = {
    phase,
    containerStatuses: [{ name: 'c', ready: false, restartCount: restarts, image: 'busybox', imageID: '', state: finished ? { terminated: { exitCode: phase === 'Failed' ? 1 : 0, finishedAt: apiTimestamp(START + endedAt) } } : { running: {} } }],
  };
  return p;
}

function step(j: Job, pods: Pod[], now = START + 1000) {
  return decideJob(j, countPods(j, pods), now, BASE);
}

describe('Job controller logic', () => {
  it('keeps min(parallelism, completions left) pods running and completes at the number of completions', () => {
    const j = job({ completions: 5, parallelism: 2 });
    expect(step(j, [])).to.include({ create: 2 });
    expect(step(j, [jobPod('a', 'Succeeded'), jobPod('b', 'Succeeded'), jobPod('c', 'Succeeded'), jobPod('d', 'Running')])).to.include({ create: 1 });
    expect(step(j, [jobPod('a', 'Succeeded'), jobPod('b', 'Succeeded'), jobPod('c', 'Succeeded'), jobPod('d', 'Succeeded'), jobPod('e', 'Running')])).to.include({ create: 0 });
    const done = step(j, ['a', 'b', 'c', 'd', 'e'].map((n) => jobPod(n, 'Succeeded')));
    expect(done.finish).to.include({ type: 'Complete', status: 'True' });
    // Parallelism lowered: the extra running pods go.
    const lowered = job({ completions: 5, parallelism: 1 });
    expect(step(lowered, [jobPod('a', 'Running'), jobPod('b', 'Running')]).delete).to.have.length(1);
  });

  it('a work queue (no completions) runs parallelism pods and completes once one succeeded and none runs', () => {
    const queue = job({ completions: undefined, parallelism: 3 });
    expect(step(queue, [])).to.include({ create: 3 });
    expect(step(queue, [jobPod('a', 'Succeeded'), jobPod('b', 'Running')])).to.deep.equal({ create: 0, delete: [] });
    expect(step(queue, [jobPod('a', 'Succeeded'), jobPod('b', 'Failed', 0)]).finish?.type).to.equal('Complete');
  });

  it('fails with BackoffLimitExceeded after more failed pods than backoffLimit, and deletes what still runs', () => {
    const j = job({ completions: 3, parallelism: 2, backoffLimit: 1 });
    const one = [jobPod('a', 'Failed', 0), jobPod('b', 'Running')];
    expect(step(j, one, START + 60_000).finish).to.equal(undefined);
    const two = step(j, [jobPod('a', 'Failed', 0), jobPod('c', 'Failed', 500), jobPod('b', 'Running')]);
    expect(two.finish).to.include({ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(two.delete.map((p) => p.metadata.name)).to.deep.equal(['b']);
    // backoffLimit 0: the first failure ends it.
    expect(step(job({ backoffLimit: 0 }), [jobPod('a', 'Failed')]).finish?.reason).to.equal('BackoffLimitExceeded');
    // restartPolicy OnFailure: container restarts in running pods count.
    const onFailure = job({ backoffLimit: 2 });
    onFailure.spec.template.spec.restartPolicy = 'OnFailure';
    expect(step(onFailure, [jobPod('a', 'Running', 0, 1)]).finish).to.equal(undefined);
    expect(step(onFailure, [jobPod('a', 'Running', 0, 2)]).finish?.reason).to.equal('BackoffLimitExceeded');
  });

  it('waits the failure back-off (10 s doubling per failure) before replacing a failed pod', () => {
    expect([1, 2, 3, 10].map((n) => failureBackoffMs(n, BASE))).to.deep.equal([10_000, 20_000, 40_000, 360_000]);
    const j = job({ backoffLimit: 6 });
    const failed = [jobPod('a', 'Failed', 1000), jobPod('b', 'Failed', 2000)];
    // Two failures: 20 s after the last one (at START + 2 s).
    expect(step(j, failed, START + 12_000)).to.deep.equal({ create: 0, delete: [], requeueAfterMs: 10_000 });
    expect(step(j, failed, START + 22_000)).to.include({ create: 1 });
  });

  it('fails with DeadlineExceeded once activeDeadlineSeconds have passed since it started, and asks to be woken then', () => {
    const j = job({ activeDeadlineSeconds: 30 });
    expect(step(j, [jobPod('a', 'Running')], START + 10_000)).to.deep.equal({ create: 0, delete: [], requeueAfterMs: 20_000 });
    const late = step(j, [jobPod('a', 'Running')], START + 30_000);
    expect(late.finish).to.include({ type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(late.delete.map((p) => p.metadata.name)).to.deep.equal(['a']);
  });

  it('writes counts, a start time once, and on completion the condition and completion time; counts never go down', () => {
    const j = job({ completions: 2 }, {});
    const pods = [jobPod('a', 'Succeeded'), jobPod('b', 'Running')];
    const first = jobStatus(j, countPods(j, pods), step(j, pods), START + 5000);
    expect(first).to.deep.equal({ startTime: apiTimestamp(START + 5000), active: 1, succeeded: 1, failed: 0, terminating: 0, ready: 0 });
    const finished = job({ completions: 2 }, first);
    const all = [jobPod('a', 'Succeeded'), jobPod('b', 'Succeeded')];
    const last = jobStatus(finished, countPods(finished, all), step(finished, all), START + 9000);
    expect(last).to.include({ startTime: apiTimestamp(START + 5000), completionTime: apiTimestamp(START + 9000), succeeded: 2, active: 0 });
    expect(last.conditions?.map((c) => [c.type, c.status, c.reason])).to.deep.equal([['Complete', 'True', 'CompletionsReached']]);
    // A counted pod deleted by hand stays counted.
    expect(countPods(job({}, { succeeded: 3 }), []).succeeded).to.equal(3);
  });

  it('a finished Job expires ttlSecondsAfterFinished after it finished', () => {
    const j = job({ ttlSecondsAfterFinished: 100 }, { completionTime: apiTimestamp(START), conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: apiTimestamp(START) }] });
    expect(ttlExpiresInMs(j, START + 40_000)).to.equal(60_000);
    expect(ttlExpiresInMs(j, START + 100_000)).to.equal(0);
    expect(ttlExpiresInMs(job({ ttlSecondsAfterFinished: 100 }), START)).to.equal(undefined);
    const failed = job({ ttlSecondsAfterFinished: 0 }, { conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', lastTransitionTime: apiTimestamp(START) }] });
    expect(ttlExpiresInMs(failed, START + 1)).to.equal(-1);
  });

  it('gives a new Job the selector and pod labels of its uid and name, and its template labels when it has none', () => {
    const j = job();
    delete j.metadata.labels;
    generateJobSelector(j);
    const expected = { app: 'pi', 'batch.kubernetes.io/controller-uid': 'job-uid', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'job-uid', 'job-name': 'pi' };
    expect(j.spec.template.metadata?.labels).to.deep.equal(expected);
    expect(j.spec.selector).to.deep.equal({ matchLabels: { 'batch.kubernetes.io/controller-uid': 'job-uid' } });
    expect(j.metadata.labels).to.deep.equal(expected);
    const pod = jobPodFor(j, 'pi-x1y2z', { uid: 'p', creationTimestamp: apiTimestamp(START) });
    expect(pod.metadata.labels).to.deep.equal(expected);
    expect(pod.metadata.ownerReferences?.[0]).to.include({ kind: 'Job', name: 'pi', uid: 'job-uid', controller: true });
    const manual = job({ manualSelector: true, selector: { matchLabels: { app: 'pi' } } });
    generateJobSelector(manual);
    expect(manual.spec.selector).to.deep.equal({ matchLabels: { app: 'pi' } });
  });
});
