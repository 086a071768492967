import { expect } from 'chai';
import type { DaemonSet } from '../../proto/objects/daemonset.js';
import type { Job } from '../../proto/objects/job.js';
import type { Pod } from '../../proto/objects/pod.js';
import { startAgent, stopAgent, type LocalClusterHandle } from '../support/local-cluster.js';
import { apply, getJson, isRunning, pods, run, useSharedCluster, waitFor } from '../support/e2e-cluster.js';

/** A DaemonSet of busybox sleepers labelled app=NAME, with extra lines under its pod spec. */
function daemonSet(name: string, specLines = '', command = 'sleep 1000000', strategy = ''): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
spec:
  selector:
    matchLabels:
      app: ${name}
${strategy}  template:
    metadata:
      labels:
        app: ${name}
    spec:
      terminationGracePeriodSeconds: 1
${specLines}      containers:
      - name: main
        image: busybox:1.35
        command: ["sh", "-c", ${JSON.stringify(command)}]
`;
}

/** A Job of busybox running `script`, with extra lines under its spec. */
function job(name: string, specLines: string, script: string): string {
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${specLines}  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox:1.35
        command: ["sh", "-c", ${JSON.stringify(script)}]
`;
}

const DAEMONSETS = ['every', 'picky', 'tolerant', 'roll', 'manual'];
const JOBS = ['five', 'doomed', 'late', 'brief'];

/** runningByNode waits until the DaemonSet's running pods are exactly one on each of `nodes`. */
async function runningOn(cluster: LocalClusterHandle, app: string, nodes: string[]): Promise<Pod[]> {
  return waitFor(async () => {
    const all = (await pods(cluster, `app=${app}`)).filter((p) => !p.metadata.deletionTimestamp);
    expect(all.filter(isRunning).map((p) => p.spec.nodeName).sort()).to.deep.equal([...nodes].sort());
    expect(all).to.have.length(nodes.length);
    return all;
  }, 90_000);
}

function dsRow(out: string, name: string): string[] {
  return (out.split('\n').find((l) => l.startsWith(`${name} `)) ?? '').trim().split(/\s{2,}/);
}

describe('e2e: DaemonSets and Jobs', function () {
  this.timeout(240_000);
  let cluster: LocalClusterHandle;

  useSharedCluster((c) => (cluster = c), async (c) => {
    await run(c, ['delete', 'daemonset', ...DAEMONSETS, '--ignore-not-found']);
    await run(c, ['delete', 'job', ...JOBS, '--ignore-not-found']);
  });

  it('a DaemonSet runs one pod on every node, including a node that joins after it was created', async () => {
    // node-3 leaves the cluster (agent stopped, Node deleted) before the DaemonSet exists, and joins again after.
    await stopAgent(cluster, 'node-3');
    try {
      await run(cluster, ['delete', 'node', 'node-3']);
      await apply(cluster, daemonSet('every'));
      await runningOn(cluster, 'every', ['node-1', 'node-2']);
      expect(dsRow((await run(cluster, ['get', 'ds', 'every'])).stdout, 'every').slice(1, 7)).to.deep.equal(['2', '2', '2', '2', '2', '<none>']);
    } finally {
      startAgent(cluster, 'node-3');
    }
    const three = await runningOn(cluster, 'every', ['node-1', 'node-2', 'node-3']);
    // Placed by the scheduler: each pod names its node by a required matchFields affinity and tolerates what Kubernetes adds.
    for (const p of three) {
      const terms = p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
      expect(terms).to.deep.equal([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec.nodeName] }] }]);
      expect(p.spec.tolerations?.map((t) => `${t.key}:${t.effect}`)).to.include.members(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unschedulable:NoSchedule']);
    }
    const out = await waitFor(async () => {
      const text = (await run(cluster, ['get', 'daemonsets'])).stdout;
      expect(dsRow(text, 'every').slice(1, 6)).to.deep.equal(['3', '3', '3', '3', '3']);
      return text;
    });
    expect(out.split('\n')[0]).to.match(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/);
    expect((await run(cluster, ['describe', 'ds', 'every'])).stdout).to.match(/Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed/);
    // Deleting the DaemonSet takes its pods with it.
    await run(cluster, ['delete', 'ds', 'every']);
    await waitFor(async () => expect(await pods(cluster, 'app=every')).to.deep.equal([]), 60_000);
  });

  it('a DaemonSet keeps to the nodes its nodeSelector picks and whose taints it tolerates', async () => {
    await run(cluster, ['label', 'node', 'node-1', 'node-2', 'e2e-ds=yes']);
    await run(cluster, ['taint', 'node', 'node-2', 'e2e-ds=only:NoSchedule']);
    try {
      await apply(cluster, daemonSet('picky', '      nodeSelector:\n        e2e-ds: "yes"\n'));
      await apply(cluster, daemonSet('tolerant', '      nodeSelector:\n        e2e-ds: "yes"\n      tolerations:\n      - key: e2e-ds\n        operator: Exists\n'));
      await runningOn(cluster, 'picky', ['node-1']);
      await runningOn(cluster, 'tolerant', ['node-1', 'node-2']);
      const row = await waitFor(async () => {
        const r = dsRow((await run(cluster, ['get', 'ds', 'picky'])).stdout, 'picky');
        expect(r.slice(1, 7)).to.deep.equal(['1', '1', '1', '1', '1', 'e2e-ds=yes']);
        return r;
      });
      expect(row[0]).to.equal('picky');
    } finally {
      await run(cluster, ['taint', 'node', 'node-2', 'e2e-ds-']);
      await run(cluster, ['label', 'node', 'node-1', 'node-2', 'e2e-ds-']);
    }
    // The label gone, neither DaemonSet belongs on any node any more.
    await waitFor(async () => expect((await pods(cluster, 'app in (picky,tolerant)')).filter((p) => !p.metadata.deletionTimestamp)).to.deep.equal([]), 60_000);
  });

  it('a RollingUpdate replaces the pod on every node; OnDelete only the pods a user deletes', async () => {
    await apply(cluster, daemonSet('roll', '', 'echo v1; sleep 1000000'));
    await apply(cluster, daemonSet('manual', '', 'echo v1; sleep 1000000', '  updateStrategy:\n    type: OnDelete\n'));
    const before = await runningOn(cluster, 'roll', ['node-1', 'node-2', 'node-3']);
    const manualBefore = await runningOn(cluster, 'manual', ['node-1', 'node-2', 'node-3']);
    await apply(cluster, daemonSet('roll', '', 'echo v2; sleep 1000000'));
    await apply(cluster, daemonSet('manual', '', 'echo v2; sleep 1000000', '  updateStrategy:\n    type: OnDelete\n'));
    const status = await run(cluster, ['rollout', 'status', 'daemonset/roll', '--timeout', '120s']);
    expect(status.stdout.trim().split('\n').at(-1)).to.equal('daemon set "roll" successfully rolled out');
    const after = await runningOn(cluster, 'roll', ['node-1', 'node-2', 'node-3']);
    const oldHash = before[0]?.metadata.labels?.['controller-revision-hash'];
    for (const p of after) {
      expect(before.map((b) => b.metadata.uid)).to.not.include(p.metadata.uid);
      expect(p.metadata.labels?.['controller-revision-hash']).to.be.a('string').and.not.equal(oldHash);
    }
    // OnDelete: the controller has seen the new template, yet every old pod still runs.
    const manual = await waitFor(async () => {
      const ds = await getJson<DaemonSet>(cluster, ['ds', 'manual']);
      expect(ds.status?.observedGeneration).to.equal(ds.metadata.generation);
      return ds;
    });
    expect(manual.status?.updatedNumberScheduled).to.equal(0);
    expect((await pods(cluster, 'app=manual')).map((p) => p.metadata.uid).sort()).to.deep.equal(manualBefore.map((p) => p.metadata.uid).sort());
    const victim = manualBefore[0] as Pod;
    await run(cluster, ['delete', 'pod', victim.metadata.name]);
    const replaced = await runningOn(cluster, 'manual', ['node-1', 'node-2', 'node-3']);
    const successor = replaced.find((p) => p.spec.nodeName === victim.spec.nodeName);
    expect(successor?.metadata.uid).to.not.equal(victim.metadata.uid);
    expect(successor?.metadata.labels?.['controller-revision-hash']).to.not.equal(victim.metadata.labels?.['controller-revision-hash']);
  });

  it('a Job of 5 completions with parallelism 2 completes, and get jobs shows 5/5', async () => {
    await apply(cluster, job('five', '  completions: 5\n  parallelism: 2\n', 'echo done'));
    const done = await waitFor(async () => {
      const j = await getJson<Job>(cluster, ['job', 'five']);
      expect(j.status?.conditions?.find((c) => c.type === 'Complete')?.status).to.equal('True');
      return j;
    }, 120_000);
    expect(done.status).to.include({ succeeded: 5, active: 0 });
    expect(done.status?.completionTime).to.be.a('string');
    const table = (await run(cluster, ['get', 'jobs'])).stdout.split('\n');
    expect(table[0]).to.match(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
    expect(dsRow(table.join('\n'), 'five').slice(0, 3)).to.deep.equal(['five', 'Complete', '5/5']);
    const jobPods = await pods(cluster, 'batch.kubernetes.io/job-name=five');
    expect(jobPods).to.have.length(5);
    expect(jobPods.every((p) => p.status?.phase === 'Succeeded')).to.equal(true);
  });

  it('a Job whose pods always fail stops at its backoffLimit with Failed / BackoffLimitExceeded', async () => {
    await apply(cluster, job('doomed', '  backoffLimit: 1\n', 'exit 3'));
    const failed = await waitFor(async () => {
      const j = await getJson<Job>(cluster, ['job', 'doomed']);
      expect(j.status?.conditions?.find((c) => c.type === 'Failed')).to.include({ status: 'True', reason: 'BackoffLimitExceeded' });
      return j;
    }, 120_000);
    expect(failed.status?.failed).to.equal(2);
    expect(await pods(cluster, 'job-name=doomed')).to.have.length(2);
    expect(dsRow((await run(cluster, ['get', 'jobs', 'doomed'])).stdout, 'doomed').slice(0, 3)).to.deep.equal(['doomed', 'Failed', '0/1']);
  });

  it('a Job past its activeDeadlineSeconds fails with DeadlineExceeded and its pods are stopped', async () => {
    await apply(cluster, job('late', '  activeDeadlineSeconds: 5\n', 'sleep 1000000'));
    await waitFor(async () => {
      const j = await getJson<Job>(cluster, ['job', 'late']);
      expect(j.status?.conditions?.find((c) => c.type === 'Failed')).to.include({ status: 'True', reason: 'DeadlineExceeded' });
    }, 60_000);
    await waitFor(async () => expect(await pods(cluster, 'job-name=late')).to.deep.equal([]), 60_000);
  });

  it('a finished Job with ttlSecondsAfterFinished is deleted with its pods', async () => {
    await apply(cluster, job('brief', '  ttlSecondsAfterFinished: 3\n', 'echo bye'));
    await waitFor(async () => expect((await pods(cluster, 'job-name=brief')).map((p) => p.status?.phase)).to.deep.equal(['Succeeded']), 60_000);
    await waitFor(async () => {
      const list = await getJson<{ items: Job[] }>(cluster, ['jobs']);
      expect(list.items.map((j) => j.metadata.name)).to.not.include('brief');
      expect(await pods(cluster, 'job-name=brief')).to.deep.equal([]);
    }, 60_000);
  });
});
