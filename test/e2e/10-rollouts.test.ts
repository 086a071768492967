import { join } from 'node:path';
import { expect } from 'chai';
import type { Deployment, ReplicaSet } from '../../proto/objects/apps.js';
import type { Pod } from '../../proto/objects/pod.js';
import type { Service } from '../../proto/objects/service.js';
import { REPO_ROOT } from '../support/cli.js';
import { isRunning, useSharedCluster, waitFor } from '../support/e2e-cluster.js';
import type { LocalClusterHandle } from '../support/local-cluster.js';
import { applyObjects, finish, fullyAvailable, getIn, imageOf, PodTimeline, podsIn, rb, rbResult, startCli, type PodSample } from '../support/rollout-e2e.js';
import { conditionOf, image, NS, pushWebImages, webDeployment, webService, type WebOptions } from '../support/rollout-objects.js';
import { clientPodObject, withTraffic } from '../support/rollout-traffic.js';
import { pushNginxStandIns } from '../support/stand-in-images.js';

const EXAMPLES = join(REPO_ROOT, '..', 'shared', 'k8s-examples');
const CLIENT = 'rollout-client';
/** The Deployment behind the Service: 6 replicas, up to 2 more during a rollout and at most 1 fewer ready. */
const WEB = { replicas: 6, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } }, progressDeadlineSeconds: 10 } as const;
const web = (version: WebOptions['version'], annotations?: Record<string, string>) => webDeployment('web', { ...WEB, version, ...(annotations ? { annotations } : {}) });
const AUTO_ROLLBACK = { 'berth.dev/auto-rollback': 'true' };

/** The largest and smallest of the pods / ready counts a timeline saw. */
function extremes(samples: PodSample[]): { maxPods: number; minReady: number } {
  return { maxPods: Math.max(...samples.map((s) => s.pods)), minReady: Math.min(...samples.map((s) => s.ready)) };
}

describe('e2e: rollouts: rolling updates under traffic, their bounds, deadlines, rollback, undo, Recreate, pause', function () {
  this.timeout(120_000);
  let cluster: LocalClusterHandle;
  let client: Pod;
  let clusterIP = '';

  useSharedCluster((c) => (cluster = c), async (c) => {
    await rb(c, ['delete', 'deployment', 'web', 'hist', 'recreate', 'paused', 'nginx-deployment', '--ignore-not-found']);
    await rb(c, ['delete', 'pod', CLIENT, '--ignore-not-found']);
    await rb(c, ['delete', 'service', 'web', '--ignore-not-found']);
    await waitFor(async () => expect((await getIn<{ items: Pod[] }>(c, ['pods'])).items.map((p) => p.metadata.name)).to.deep.equal([]), 60_000);
    await rb(c, ['delete', 'namespace', NS, '--ignore-not-found']);
  });

  before(async function () {
    this.timeout(240_000);
    await pushWebImages(cluster.registry);
    await pushNginxStandIns(cluster.registry);
    await rb(cluster, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }));
    await applyObjects(cluster, web('v1'), webService('web'), clientPodObject(CLIENT, NS, cluster.nodes[0]!.name));
    client = await waitFor(async () => {
      const [p] = await podsIn(cluster, 'role=rollout-client');
      expect(p && isRunning(p), 'the client pod runs').to.equal(true);
      return p!;
    }, 60_000);
    clusterIP = (await getIn<Service>(cluster, ['service', 'web'])).spec.clusterIP ?? '';
    await fullyAvailable(cluster, 'web', image('v1'));
  });

  it('rolling a 6-replica Deployment behind a Service to a new image fails no request, keep-alive or new connection', async () => {
    await applyObjects(cluster, web('v1'));
    await fullyAvailable(cluster, 'web', image('v1'));
    const traffic = await withTraffic(cluster, client, 'web', clusterIP, async () => {
      await applyObjects(cluster, web('v2'));
      await fullyAvailable(cluster, 'web', image('v2'));
    });
    const failed = traffic.answers.filter((a) => !/^v[12] web-/.test(a));
    expect(failed, `wget answers ${JSON.stringify(traffic.answers)}`).to.deep.equal([]);
    expect(traffic.answers.some((a) => a.startsWith('v1 ')), 'answers from v1').to.equal(true);
    expect(traffic.answers.at(-1), 'the last answer').to.match(/^v2 /);
    expect(traffic.wrkRuns.map((r) => r.errors), 'failed requests of each wrk run').to.deep.equal(traffic.wrkRuns.map(() => 0));
    expect(traffic.wrkRuns.length).to.be.at.least(1);
  });

  it('during a rollout, never more than replicas + maxSurge pods exist (terminating ones too), nor fewer than replicas − maxUnavailable ready', async () => {
    await applyObjects(cluster, web('v2'));
    await fullyAvailable(cluster, 'web', image('v2'));
    const timeline = new PodTimeline(cluster, 'web');
    try {
      await waitFor(() => expect(timeline.now()).to.deep.include({ pods: 6, ready: 6 }));
      timeline.samples.length = 0;
      await applyObjects(cluster, web('v1'));
      await fullyAvailable(cluster, 'web', image('v1'));
    } finally {
      timeline.close();
    }
    const { maxPods, minReady } = extremes(timeline.samples);
    expect(maxPods, 'pods at most').to.be.at.most(6 + 2);
    expect(minReady, 'ready at least').to.be.at.least(6 - 1);
    // The surge was used: new pods came up before old ones went.
    expect(maxPods).to.be.greaterThan(6);
  });

  it('an image that never becomes ready stalls with the old replicas serving, reports ProgressDeadlineExceeded, and rollout status exits non-zero', async () => {
    await applyObjects(cluster, web('v1'));
    await fullyAvailable(cluster, 'web', image('v1'));
    await applyObjects(cluster, web('never-ready'));
    const stalled = await waitFor(async () => {
      const d = await getIn<Deployment>(cluster, ['deployment', 'web']);
      expect(conditionOf(d, 'Progressing'), JSON.stringify(d.status)).to.deep.include({ status: 'False', reason: 'ProgressDeadlineExceeded' });
      return d;
    }, 60_000);
    expect(stalled.status?.availableReplicas, 'available while stalled').to.be.at.least(6 - 1);
    const items = await podsIn(cluster, 'app=web');
    expect(items.filter((p) => imageOf(p) === image('v1') && p.metadata.deletionTimestamp === undefined).length, 'old replicas left').to.be.at.least(5);
    const answers = (await rb(cluster, ['exec', CLIENT, '--', 'sh', '-c', 'for i in $(seq 12); do timeout 3 wget -qO- http://web || echo FAILED; done'])).stdout.trim().split('\n');
    for (const a of answers) expect(a, JSON.stringify(answers)).to.match(/^v1 web-/);
    const status = await rbResult(cluster, ['rollout', 'status', 'deployment/web', '--timeout', '30s']);
    expect(status.code, status.stdout + status.stderr).to.not.equal(0);
    expect(status.stdout + status.stderr).to.match(/exceeded its progress deadline/);
  });

  it('with berth.dev/auto-rollback, a rollout past its deadline undoes itself: RolledBack, the old revision fully available, rollout status non-zero', async () => {
    await applyObjects(cluster, web('v1', AUTO_ROLLBACK));
    await fullyAvailable(cluster, 'web', image('v1'));
    await applyObjects(cluster, web('never-ready', AUTO_ROLLBACK));
    const status = startCli(cluster, ['-n', NS, 'rollout', 'status', 'deployment/web', '--timeout', '90s']);
    const rolledBack = await waitFor(async () => {
      const d = await getIn<Deployment>(cluster, ['deployment', 'web']);
      expect(conditionOf(d, 'RolledBack'), JSON.stringify(d.status)).to.deep.include({ status: 'True', reason: 'ProgressDeadlineExceeded' });
      return d;
    }, 60_000);
    expect(conditionOf(rolledBack, 'RolledBack')?.message).to.match(/^rolled back from revision \d+ to revision \d+: /);
    await fullyAvailable(cluster, 'web', image('v1'));
    const events = await getIn<{ items: Array<{ reason?: string; type?: string; message?: string; involvedObject?: { kind?: string; name?: string } }> }>(cluster, ['events']);
    const rollback = events.items.filter((e) => e.reason === 'RolledBack' && e.involvedObject?.kind === 'Deployment' && e.involvedObject.name === 'web');
    expect(rollback.map((e) => e.type), JSON.stringify(rollback)).to.include('Warning');
    const ended = await finish(status, 90_000);
    expect(ended.code, ended.stdout + ended.stderr).to.not.equal(0);
  });

  it('rollout undo --to-revision 1 restores the first template; history lists the revisions with their change-cause', async () => {
    const hist = (version: WebOptions['version'], cause: string) => webDeployment('hist', { replicas: 2, version, annotations: { 'kubernetes.io/change-cause': cause } });
    await applyObjects(cluster, hist('v1', 'first: v1'));
    const first = await fullyAvailable(cluster, 'hist', image('v1'));
    await applyObjects(cluster, hist('v2', 'second: v2'));
    await fullyAvailable(cluster, 'hist', image('v2'));
    const history = (await rb(cluster, ['rollout', 'history', 'deployment/hist'])).stdout;
    expect(history).to.match(/^1\s+first: v1\s*$/m).and.to.match(/^2\s+second: v2\s*$/m);
    expect((await rb(cluster, ['rollout', 'history', 'deployment/hist', '--revision', '1'])).stdout).to.contain(image('v1'));

    await rb(cluster, ['rollout', 'undo', 'deployment/hist', '--to-revision', '1']);
    const undone = await fullyAvailable(cluster, 'hist', image('v1'));
    expect(undone.spec.template).to.deep.equal(first.spec.template);
    const sets = (await getIn<{ items: ReplicaSet[] }>(cluster, ['replicasets', '-l', 'app=hist'])).items;
    const revisionOf = (img: string) => sets.find((s) => s.spec.template.spec.containers[0]?.image === img)?.metadata.annotations?.['deployment.kubernetes.io/revision'];
    expect([revisionOf(image('v1')), revisionOf(image('v2')), sets.length]).to.deep.equal(['3', '2', 2]);
    expect((await rb(cluster, ['rollout', 'history', 'deployment/hist'])).stdout).to.match(/^2\s/m).and.to.match(/^3\s/m).and.not.to.match(/^1\s/m);
  });

  it('Recreate never runs old and new pods together', async () => {
    const recreate = (version: WebOptions['version']) => webDeployment('recreate', { replicas: 3, version, strategy: { type: 'Recreate' } });
    await applyObjects(cluster, recreate('v1'));
    await fullyAvailable(cluster, 'recreate', image('v1'));
    const timeline = new PodTimeline(cluster, 'recreate');
    try {
      await waitFor(() => expect(timeline.now()).to.deep.include({ pods: 3, ready: 3 }));
      timeline.samples.length = 0;
      await applyObjects(cluster, recreate('v2'));
      await fullyAvailable(cluster, 'recreate', image('v2'));
    } finally {
      timeline.close();
    }
    const together = timeline.samples.filter((s) => (s.images[image('v1')] ?? 0) > 0 && (s.images[image('v2')] ?? 0) > 0);
    expect(together, 'moments with both versions').to.deep.equal([]);
    expect(timeline.samples.at(-1)?.images).to.deep.equal({ [image('v2')]: 3 });
  });

  it('rollout pause freezes a rollout midway, and resume completes it', async () => {
    const paused = (version: WebOptions['version']) => webDeployment('paused', { replicas: 4, version, minReadySeconds: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
    await applyObjects(cluster, paused('v1'));
    await fullyAvailable(cluster, 'paused', image('v1'));
    await rb(cluster, ['set', 'image', 'deployment/paused', `main=${image('v2')}`]);
    await waitFor(async () => expect((await getIn<Deployment>(cluster, ['deployment', 'paused'])).status?.updatedReplicas ?? 0).to.be.at.least(1));
    await rb(cluster, ['rollout', 'pause', 'deployment/paused']);
    expect((await getIn<Deployment>(cluster, ['deployment', 'paused'])).spec.paused).to.equal(true);
    // What the controller had already started when the pause arrived may finish; then nothing moves.
    const replicaSets = async () => Object.fromEntries((await getIn<{ items: ReplicaSet[] }>(cluster, ['replicasets', '-l', 'app=paused'])).items.map((s) => [s.spec.template.spec.containers[0]?.image, s.spec.replicas]));
    await new Promise((r) => setTimeout(r, 1_500));
    const frozen = await replicaSets();
    const end = Date.now() + 6_000;
    while (Date.now() < end) expect(await replicaSets(), 'ReplicaSets while paused').to.deep.equal(frozen);
    expect(frozen[image('v1')], 'old replicas while paused').to.be.greaterThan(0);
    expect(frozen[image('v2')], 'new replicas while paused').to.be.within(1, 3);
    await rb(cluster, ['rollout', 'resume', 'deployment/paused']);
    await fullyAvailable(cluster, 'paused', image('v2'));
  });

  it("the documentation's rolling update (application/deployment.yaml, then its update) proceeds by maxSurge / maxUnavailable", async () => {
    await rb(cluster, ['apply', '-f', join(EXAMPLES, 'application-deployment.yaml')]);
    await fullyAvailable(cluster, 'nginx-deployment', 'nginx:1.15');
    const timeline = new PodTimeline(cluster, 'nginx');
    try {
      await waitFor(() => expect(timeline.now()).to.deep.include({ pods: 2, ready: 2 }));
      timeline.samples.length = 0;
      await rb(cluster, ['apply', '-f', join(EXAMPLES, 'application-deployment-update.yaml')]);
      await fullyAvailable(cluster, 'nginx-deployment', 'nginx:1.16.1');
    } finally {
      timeline.close();
    }
    // The defaults, 25 % each of 2 replicas: maxSurge rounds up to 1, maxUnavailable down to 0.
    expect(extremes(timeline.samples)).to.deep.equal({ maxPods: 3, minReady: 2 });
  });
});
