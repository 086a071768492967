import { expect } from 'chai';
import { DaemonSetController } from '../../../control-plane/controllers/daemonset-controller.js';
import { daemonPodNode } from '../../../control-plane/controllers/daemonset-logic.js';
import { GC_RESOURCES, gcKey } from '../../../control-plane/controllers/garbage-collector.js';
import { JobController } from '../../../control-plane/controllers/job-controller.js';
import { applyDefaults } from '../../../control-plane/objects/defaults.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';
import { generateJobSelector } from '../../../control-plane/objects/job-selector.js';
import { cacheKey } from '../../../control-plane/watch/object-cache.js';
import type { Node } from '../../../proto/objects/cluster.js';
import type { DaemonSet } from '../../../proto/objects/daemonset.js';
import type { Job } from '../../../proto/objects/job.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import { silentLogger } from '../../support/logger.js';
import { eventually } from '../../support/wait.js';
import { ControllerHarness, R, useControllerHarness } from './harness.js';

const daemonsets = RESOURCE.daemonsets;
const jobs = RESOURCE.jobs;

describe('DaemonSet and Job controllers on a real etcd', function () {
  this.timeout(60_000);
  let h: ControllerHarness;
  let ds: DaemonSetController;
  let jc: JobController;
  let clock = Date.parse('2026-01-01T00:00:00Z');

  useControllerHarness((harness) => {
    h = harness;
    clock = Date.parse('2026-01-01T00:00:00Z');
    const f = (r: string) => h.informers.forResource(r);
    ds = new DaemonSetController(h.store, f('daemonsets'), f('pods'), f('nodes'), h.events, silentLogger());
    jc = new JobController(h.store, f('jobs'), f('pods'), h.events, silentLogger(), { now: () => clock, failureBackoffMs: 0 });
  });

  /** settled waits until the informers of pods, nodes, DaemonSets and Jobs hold what etcd holds. */
  async function settled(): Promise<void> {
    await eventually(async () => {
      for (const info of [R.pods, R.nodes, daemonsets, jobs]) {
        const { items } = await h.store.list(info);
        const have = h.informers.forResource(info.resource).list().map((o) => `${cacheKey(o)}@${o.metadata.resourceVersion}`).sort();
        expect(have).to.deep.equal(items.map((o) => `${cacheKey(o)}@${o.metadata.resourceVersion}`).sort());
      }
    });
  }

  async function createDaemonSet(name: string, spec: Partial<DaemonSet['spec']['template']['spec']> = {}): Promise<DaemonSet> {
    const d: DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: 'default', generation: 1, ...newIdentity() },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1.35' }], ...spec } } },
    };
    applyDefaults(d);
    return (await h.store.create(daemonsets, d)) as DaemonSet;
  }

  async function createJob(name: string, spec: Partial<Job['spec']>): Promise<Job> {
    const j: Job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: 'default', generation: 1, ...newIdentity() },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.35' }] } }, ...spec },
    };
    applyDefaults(j);
    generateJobSelector(j);
    return (await h.store.create(jobs, j)) as Job;
  }

  /** finish plays the agent: the pod ran to its end with `phase`. */
  async function finish(name: string, phase: 'Succeeded' | 'Failed'): Promise<void> {
    await h.store.guaranteedUpdate(R.pods, 'default', name, (current) => {
      const pod = current as Pod;
      pod.spec.nodeName ??= 'node-a';
      pod.status = { phase, containerStatuses: [{ name: 'main', ready: false, restartCount: 0, image: 'busybox:1.35', imageID: '', state: { terminated: { exitCode: phase === 'Failed' ? 1 : 0, finishedAt: new Date(clock).toISOString() } } }] };
      return pod;
    });
  }

  async function podsOf(app: string): Promise<Pod[]> {
    return (await h.list<Pod>(R.pods)).filter((p) => p.metadata.labels?.app === app || p.metadata.labels?.['job-name'] === app);
  }

  async function reconcileDs(name: string): Promise<void> {
    await settled();
    await ds.reconcile(`default/${name}`);
    await settled();
  }

  async function reconcileJob(name: string): Promise<void> {
    await settled();
    await jc.reconcile(`default/${name}`);
    await settled();
  }

  it('creates one pod per eligible node, never twice, and one for a node that registers later', async () => {
    await h.addNode('node-a');
    await h.addNode('node-b');
    await h.store.guaranteedUpdate(R.nodes, undefined, 'node-b', (n) => ((n as Node).spec.taints = [{ key: 'infra', effect: 'NoSchedule' }], n));
    await createDaemonSet('agent');
    await settled();
    await Promise.all([ds.reconcile('default/agent'), ds.reconcile('default/agent')]);
    await reconcileDs('agent');
    const first = await podsOf('agent');
    expect(first.map((p) => p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms)).to.deep.equal([[{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-a'] }] }]]);
    expect(first[0]?.spec.nodeName).to.equal(undefined);
    await h.addNode('node-c');
    await settled();
    // The new node enqueued the DaemonSet.
    expect(ds.queue.length).to.be.greaterThan(0);
    await reconcileDs('agent');
    // The new pod's event enqueues the DaemonSet again; that reconcile counts it.
    await reconcileDs('agent');
    const pods = await podsOf('agent');
    expect(pods.map(daemonPodNode).sort()).to.deep.equal(['node-a', 'node-c']);
    const status = (await h.get<DaemonSet>(daemonsets, 'agent')).status;
    expect(status).to.include({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 0, updatedNumberScheduled: 2, numberMisscheduled: 0 });
    expect(h.events.events.filter((e) => e.object === 'DaemonSet/default/agent' && e.reason === 'SuccessfulCreate')).to.have.length(2);
    // A NoExecute taint the pods do not tolerate takes node-a's pod away.
    await h.store.guaranteedUpdate(R.nodes, undefined, 'node-a', (n) => ((n as Node).spec.taints = [{ key: 'evict', effect: 'NoExecute' }], n));
    await reconcileDs('agent');
    const left = (await podsOf('agent')).filter((p) => !p.metadata.deletionTimestamp);
    expect(left.map(daemonPodNode)).to.deep.equal(['node-c']);
  });

  it('rolls a new template out one node at a time (maxUnavailable 1), and deleting the DaemonSet collects its pods', async () => {
    for (const n of ['node-a', 'node-b', 'node-c']) await h.addNode(n);
    await createDaemonSet('roll');
    await reconcileDs('roll');
    for (const p of await podsOf('roll')) await h.bind(p.metadata.name, daemonPodNode(p) ?? '', true);
    await h.store.guaranteedUpdate(daemonsets, 'default', 'roll', (current) => {
      (current as DaemonSet).spec.template.spec.containers[0]!.image = 'busybox:2';
      current.metadata.generation = 2;
      return current;
    });
    const oldUids = new Set((await podsOf('roll')).map((p) => p.metadata.uid));
    for (let node = 0; node < 3; node++) {
      await reconcileDs('roll');
      // One old pod is terminating; reconciling again takes no second one while that node has no available pod.
      await reconcileDs('roll');
      const terminating = (await podsOf('roll')).filter((p) => p.metadata.deletionTimestamp);
      expect(terminating).to.have.length(1);
      expect(oldUids.has(terminating[0]?.metadata.uid)).to.equal(true);
      await h.finishTerminating();
      await reconcileDs('roll');
      const fresh = (await podsOf('roll')).filter((p) => !oldUids.has(p.metadata.uid) && p.status?.phase === 'Pending');
      expect(fresh).to.have.length(1);
      await h.bind(fresh[0]!.metadata.name, terminating[0]!.spec.nodeName ?? '', true);
    }
    await reconcileDs('roll');
    const pods = await podsOf('roll');
    expect(pods.filter((p) => oldUids.has(p.metadata.uid))).to.deep.equal([]);
    expect(new Set(pods.map((p) => p.spec.nodeName))).to.deep.equal(new Set(['node-a', 'node-b', 'node-c']));
    expect((await h.get<DaemonSet>(daemonsets, 'roll')).status).to.include({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3, observedGeneration: 2 });
    await h.store.delete(daemonsets, 'default', 'roll');
    await settled();
    for (const p of h.informers.forResource('pods').list()) await h.gc.reconcile(gcKey(R.pods, p));
    await h.finishTerminating();
    expect(await podsOf('roll')).to.deep.equal([]);
    expect(GC_RESOURCES.map((r) => r.resource)).to.include.members(['daemonsets', 'jobs']);
  });

  it('runs a Job of 5 completions 2 at a time to Complete, with counts, times and labels', async () => {
    await createJob('five', { completions: 5, parallelism: 2 });
    for (let round = 0; round < 10; round++) {
      await reconcileJob('five');
      const running = (await podsOf('five')).filter((p) => p.status?.phase === 'Pending');
      expect(running.length).to.be.at.most(2);
      if (running.length === 0) break;
      clock += 1000;
      await finish(running[0]!.metadata.name, 'Succeeded');
    }
    const job = await h.get<Job>(jobs, 'five');
    expect(job.status).to.include({ succeeded: 5, failed: 0, active: 0, startTime: '2026-01-01T00:00:00Z' });
    expect(job.status?.completionTime).to.be.a('string');
    expect(job.status?.conditions?.map((c) => [c.type, c.status, c.reason])).to.deep.equal([['Complete', 'True', 'CompletionsReached']]);
    const pods = await podsOf('five');
    expect(pods).to.have.length(5);
    expect(pods[0]?.metadata.labels).to.include({ 'batch.kubernetes.io/job-name': 'five', 'batch.kubernetes.io/controller-uid': job.metadata.uid });
    expect(h.events.events.filter((e) => e.object === 'Job/default/five').map((e) => e.reason)).to.include('Completed');
  });

  it('fails a Job after backoffLimit failures, and deletes it with its pods ttlSecondsAfterFinished later', async () => {
    await createJob('doomed', { backoffLimit: 1, ttlSecondsAfterFinished: 30 });
    for (let round = 0; round < 5; round++) {
      await reconcileJob('doomed');
      const pending = (await podsOf('doomed')).filter((p) => p.status?.phase === 'Pending');
      if (pending.length === 0) break;
      await finish(pending[0]!.metadata.name, 'Failed');
    }
    const failed = await h.get<Job>(jobs, 'doomed');
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')).to.include({ status: 'True', reason: 'BackoffLimitExceeded' });
    expect(failed.status?.failed).to.equal(2);
    expect(failed.status?.completionTime).to.equal(undefined);
    clock += 29_000;
    expect(await jc.reconcile('default/doomed')).to.deep.equal({ kind: 'requeueAfter', delayMs: 1050 });
    clock += 1000;
    await reconcileJob('doomed');
    expect(await h.store.tryGet(jobs, 'default', 'doomed')).to.equal(undefined);
    for (const p of h.informers.forResource('pods').list()) await h.gc.reconcile(gcKey(R.pods, p));
    expect(await podsOf('doomed')).to.deep.equal([]);
  });

  it('fails a Job with DeadlineExceeded once activeDeadlineSeconds pass, stopping its running pods', async () => {
    await createJob('late', { activeDeadlineSeconds: 10, parallelism: 2, completions: 4 });
    await reconcileJob('late');
    expect((await podsOf('late')).filter((p) => !p.metadata.deletionTimestamp)).to.have.length(2);
    for (const p of await podsOf('late')) await h.bind(p.metadata.name, 'node-a', true);
    clock += 10_000;
    await reconcileJob('late');
    const job = await h.get<Job>(jobs, 'late');
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')).to.include({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect((await podsOf('late')).every((p) => p.metadata.deletionTimestamp !== undefined)).to.equal(true);
    expect(h.events.events.filter((e) => e.object === 'Job/default/late' && e.type === 'Warning').map((e) => e.reason)).to.deep.equal(['DeadlineExceeded']);
  });
});
