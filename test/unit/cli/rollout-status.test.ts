import { expect } from 'chai';
import { parseDuration } from '../../../cli/flag-values.js';
import { RolloutJudge } from '../../../cli/rollout/judge.js';
import { rolloutState } from '../../../cli/rollout/status.js';
import { waitForRollouts } from '../../../cli/rollout/wait-applied.js';
import { watchRollout } from '../../../cli/rollout/watch-rollout.js';
import type { RolloutClient } from '../../../cli/rollout/watch-rollout.js';
import type { RolloutState } from '../../../cli/rollout/status.js';
import type { WatchRequest } from '../../../proto/generated/berth/v1/WatchRequest.js';
import type { Deployment, DeploymentStatus } from '../../../proto/objects/apps.js';
import type { BerthObject, Condition } from '../../../proto/objects/meta.js';

const START = Date.parse('2026-12-07T20:00:00Z');

function deployment(status: DeploymentStatus, options: { generation?: number; revision?: number; autoRollback?: boolean; replicas?: number } = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      generation: options.generation ?? 2,
      resourceVersion: '5',
      annotations: {
        'deployment.kubernetes.io/revision': String(options.revision ?? 2),
        ...(options.autoRollback ? { 'berth.dev/auto-rollback': 'true' } : {}),
      },
    },
    spec: { replicas: options.replicas ?? 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
    status: { observedGeneration: 2, ...status },
  };
}

const deadline: Condition = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-2" has timed out progressing.' };
const rolledBack = (at: string): Condition => ({
  type: 'RolledBack', status: 'True', reason: 'ProgressDeadlineExceeded', lastTransitionTime: at,
  message: 'rolled back from revision 3 to revision 2: progress deadline exceeded (600s)',
});

describe('rollout status: kubectl\'s messages from a Deployment', () => {
  const state = (d: Deployment, revision = 0) => rolloutState(d, { since: START, revision });

  it('walks through the phases of a rolling update with kubectl\'s words', () => {
    expect(state(deployment({}, { generation: 3 })).message).to.equal('Waiting for deployment spec update to be observed...');
    expect(state(deployment({ replicas: 4, updatedReplicas: 1, availableReplicas: 3 })).message)
      .to.equal('Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...');
    expect(state(deployment({ replicas: 4, updatedReplicas: 3, availableReplicas: 3 })).message)
      .to.equal('Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...');
    expect(state(deployment({ replicas: 3, updatedReplicas: 3, availableReplicas: 2 })).message)
      .to.equal('Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...');
    expect(state(deployment({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 }))).to.deep.equal({ kind: 'complete', message: 'deployment "web" successfully rolled out' });
  });

  it('gives the live display a short step', () => {
    const s = state(deployment({ replicas: 5, updatedReplicas: 3, availableReplicas: 3 }));
    expect(s).to.deep.include({ kind: 'progressing', step: 'waiting for 2 old replicas to terminate' });
    expect(state(deployment({ replicas: 3, updatedReplicas: 3, availableReplicas: 2 }))).to.deep.include({ step: 'waiting for 1 updated replica to become available' });
  });

  it('fails when the progress deadline has passed', () => {
    expect(state(deployment({ updatedReplicas: 1, conditions: [deadline] }))).to.deep.equal({ kind: 'failed', reason: 'deadline', message: 'deployment "web" exceeded its progress deadline' });
  });

  it('fails on a rollback at or after the start, saying from which revision to which and why; an older one does not count', () => {
    expect(state(deployment({ replicas: 3, updatedReplicas: 3, availableReplicas: 3, conditions: [rolledBack('2026-12-07T20:00:00Z')] }), 0)).to.deep.equal({
      kind: 'failed', reason: 'rolled-back', message: 'deployment "web" rolled back from revision 3 to revision 2: progress deadline exceeded (600s)',
    });
    expect(state(deployment({ replicas: 3, updatedReplicas: 3, availableReplicas: 3, conditions: [rolledBack('2026-12-07T19:59:59Z')] })).kind).to.equal('complete');
  });

  it('with --revision, fails once the Deployment is at another revision', () => {
    expect(state(deployment({ updatedReplicas: 1 }, { revision: 3 }), 2)).to.deep.equal({
      kind: 'failed', reason: 'revision', message: 'desired revision (2) is different from the running revision (3)',
    });
  });
});

describe('RolloutJudge', () => {
  it('waits a moment after a missed deadline for the automatic rollback, then reports it', () => {
    const judge = new RolloutJudge({ since: START }, 10_000);
    const stalled = deployment({ updatedReplicas: 1, conditions: [deadline] }, { autoRollback: true });
    const first = judge.judge(stalled, START + 1000);
    expect(first).to.deep.include({ final: false, recheckAt: START + 11_000 });
    expect(first.state.kind).to.equal('progressing');
    const after = deployment({ replicas: 3, updatedReplicas: 3, availableReplicas: 3, conditions: [rolledBack('2026-12-07T20:00:02Z')] }, { autoRollback: true, revision: 4, generation: 3 });
    after.status = { ...after.status, observedGeneration: 3 };
    expect(judge.judge(after, START + 2000)).to.deep.include({ final: true, state: { kind: 'failed', reason: 'rolled-back', message: 'deployment "web" rolled back from revision 3 to revision 2: progress deadline exceeded (600s)' } });
  });

  it('reports the deadline when no rollback comes, and at once without auto-rollback', () => {
    const judge = new RolloutJudge({ since: START }, 10_000);
    const stalled = deployment({ updatedReplicas: 1, conditions: [deadline] }, { autoRollback: true });
    judge.judge(stalled, START);
    expect(judge.judge(stalled, START + 10_000)).to.deep.include({ final: true, state: { kind: 'failed', reason: 'deadline', message: 'deployment "web" exceeded its progress deadline' } });
    expect(new RolloutJudge({ since: START }).judge(deployment({ conditions: [deadline] }), START).final).to.equal(true);
  });
});

/** FakeWatchClient serves one Deployment and plays `changes` to each watch, then keeps it open until aborted. */
class FakeWatchClient implements RolloutClient {
  readonly watches: WatchRequest[] = [];
  constructor(private readonly first: Deployment, private readonly changes: [string, Deployment][]) {}

  async get(): Promise<BerthObject> {
    return structuredClone(this.first);
  }

  async watch(request: WatchRequest, onEvent: (type: string, object: BerthObject) => void, signal?: AbortSignal): Promise<void> {
    this.watches.push(request);
    for (const [type, d] of this.changes) onEvent(type, structuredClone(d));
    await new Promise<void>((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener('abort', () => resolve())));
  }
}

describe('watchRollout', () => {
  const progressing = deployment({ replicas: 3, updatedReplicas: 1, availableReplicas: 1 });
  const done = deployment({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
  const other = { ...done, metadata: { ...done.metadata, name: 'api' } };

  it('follows the Watch RPC from the read revision, reports each change once, ends when rolled out', async () => {
    const client = new FakeWatchClient(progressing, [['MODIFIED', progressing], ['MODIFIED', other], ['MODIFIED', done]]);
    const seen: RolloutState[] = [];
    const last = await watchRollout(client, 'default', 'web', { since: START, onChange: (s) => seen.push(s) });
    expect(seen.map((s) => s.message)).to.deep.equal(['Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...', 'deployment "web" successfully rolled out']);
    expect(last.kind).to.equal('complete');
    expect(client.watches[0]).to.deep.include({ resource: 'deployments', namespace: 'default', resource_version: '5' });
  });

  it('with follow off reports the state once and does not watch', async () => {
    const client = new FakeWatchClient(progressing, []);
    const last = await watchRollout(client, 'default', 'web', { since: START, follow: false, onChange: () => undefined });
    expect(last.kind).to.equal('progressing');
    expect(client.watches).to.have.length(0);
  });

  it('fails when the Deployment is deleted, and when the timeout passes', async () => {
    const deleted = await watchRollout(new FakeWatchClient(progressing, [['DELETED', progressing]]), 'default', 'web', { since: START, onChange: () => undefined });
    expect(deleted).to.deep.equal({ kind: 'failed', reason: 'deleted', message: 'object has been deleted' });
    const timedOut = await watchRollout(new FakeWatchClient(progressing, []), 'default', 'web', { since: START, timeoutMs: 20, onChange: () => undefined });
    expect(timedOut).to.deep.equal({ kind: 'failed', reason: 'timeout', message: 'timed out waiting for the condition' });
  });
});

describe('waitForRollouts (apply --wait)', () => {
  const progressing = deployment({ replicas: 3, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
  const stalled = deployment({ replicas: 3, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: [deadline] });

  it('off a terminal prints a plain line per change, and fails naming the rollout that failed', async () => {
    let written = '';
    const out = { write: (t: string) => (written += t), isTTY: false };
    const failure = await waitForRollouts(new FakeWatchClient(progressing, [['MODIFIED', stalled]]), [{ namespace: 'default', name: 'web', label: 'deployment.apps/web' }], { since: START, timeoutMs: 0, out })
      .then(() => undefined, (err: Error) => err.message);
    expect(written).to.equal([
      'deployment.apps/web: 1/3 updated, 1/3 ready, 1/3 available: 2 replicas left to update',
      'deployment.apps/web: 1/3 updated, 1/3 ready, 1/3 available: failed: exceeded its progress deadline',
      '',
    ].join('\n'));
    expect(failure).to.equal('rollout of deployment.apps/web failed: deployment "web" exceeded its progress deadline');
  });
});

describe('--timeout values', () => {
  it('reads units, combinations and whole seconds, and names a bad value', () => {
    expect([parseDuration('0'), parseDuration('90'), parseDuration('90s'), parseDuration('5m'), parseDuration('1h30m'), parseDuration('500ms')]).to.deep.equal([0, 90_000, 90_000, 300_000, 5_400_000, 500]);
    expect(() => parseDuration('5x')).to.throw('"5x" is not a duration');
    expect(() => parseDuration('m5')).to.throw('"m5" is not a duration');
  });
});
