import { expect } from 'chai';
import type { Event } from '../../../proto/objects/cluster.js';
import type { ContainerStatus, Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import { AgentTestCluster, podsResource } from '../../support/agent-cluster.js';
import { TestAgent } from '../../support/agent-process.js';
import { only } from '../../support/agent-suite.js';
import { berth } from '../../support/cli.js';
import { FakeNodeAPI } from '../../support/fake-node-api.js';
import { eventually } from '../../support/wait.js';

describe('berth-agent: liveness and startup probes, lifecycle hooks, graceful termination (real agent and containers)', function () {
  this.timeout(120_000);
  let cluster: AgentTestCluster | undefined;
  let api: FakeNodeAPI | undefined;
  let agent: TestAgent | undefined;

  before(async () => {
    cluster = await AgentTestCluster.start();
    api = await FakeNodeAPI.start(cluster.server, cluster.store);
    agent = await TestAgent.start({ server: api.address, insecureRegistries: [cluster.registry.address] });
  });
  after(async () => {
    await agent?.cleanup();
    await api?.stop();
    await cluster?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && agent) console.error(agent.logs());
  });

  const c = () => cluster as AgentTestCluster;

  async function bind(name: string, spec: Partial<Pod['spec']> & Pick<Pod['spec'], 'containers'>): Promise<Pod> {
    const pod = await c().bindPod((agent as TestAgent).name, name, { terminationGracePeriodSeconds: 1, ...spec });
    agent?.podUids.add(pod.metadata.uid ?? '');
    return pod;
  }

  async function events(name: string): Promise<string[]> {
    const { items } = await c().store.list(RESOURCE.events, 'default');
    return (items as Event[]).filter((e) => e.involvedObject.name === name).map((e) => `${e.type} ${e.reason} ${e.message}`);
  }

  /** Deletes the pod gracefully, as the API does: a deletionTimestamp and a grace period; the agent finishes the deletion. */
  async function deleteGracefully(name: string, graceSeconds: number): Promise<number> {
    const at = Date.now();
    await c().store.guaranteedUpdate(podsResource, 'default', name, (o) => {
      const p = o as Pod;
      p.metadata.deletionTimestamp = new Date(at + graceSeconds * 1000).toISOString();
      p.metadata.deletionGracePeriodSeconds = graceSeconds;
      return p;
    });
    return at;
  }

  /**
   * Deletes the pod gracefully (deleteGracefully) and follows what is written of it until the
   * agent's FinishPodTermination removes it: returns when deletion began and the last container
   * status written before the removal. `meanwhile` runs while the agent terminates the pod.
   */
  async function deleteAndFollow(name: string, graceSeconds: number, meanwhile: () => Promise<void> = async () => undefined): Promise<{ since: number; last: ContainerStatus | undefined }> {
    const watch = c().store.watch(podsResource, 'default', { fromRevision: await c().store.currentRevision() });
    let last: ContainerStatus | undefined;
    const removed = (async () => {
      for (let e = await watch.next(); !e.done; e = await watch.next()) {
        const p = e.value.object as Pod;
        if (p.metadata.name !== name) continue;
        if (e.value.type === 'DELETED') return true;
        last = p.status?.containerStatuses?.[0] ?? last;
      }
      return false;
    })();
    try {
      const since = await deleteGracefully(name, graceSeconds);
      await meanwhile();
      const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 30_000).unref());
      expect(await Promise.race([removed, timeout]), `pod ${name} was not removed`).to.equal(true);
      return { since, last };
    } finally {
      watch.close();
      await removed;
    }
  }

  it('restarts a container whose liveness probe fails, with its exit as Last State and the reason in events and describe', async () => {
    const livenessProbe = { exec: { command: ['cat', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 1 };
    await bind('live', { containers: [{ name: 'app', image: c().image, command: ['sh', '-c', 'touch /tmp/alive; sleep 2; rm /tmp/alive; exec sleep 3600'], livenessProbe }] });
    const status = await eventually(async () => {
      const s = only(await c().pod('live'));
      expect(s.restartCount).to.be.at.least(1);
      expect(s.lastState?.terminated?.reason).to.equal('Error');
      return s;
    }, 40_000);
    // The shell ignores SIGTERM as PID 1: killed at the 1 s grace period.
    expect(status.lastState?.terminated?.exitCode).to.equal(137);
    await eventually(async () =>
      expect(await events('live')).to.include.members([
        "Warning Unhealthy Liveness probe failed: cat: can't open '/tmp/alive': No such file or directory",
        'Normal Killing Container app failed liveness probe, will be restarted',
      ]),
    );
    const described = await berth(c().server, ['describe', 'pod', 'live']);
    expect(described.stdout).to.match(/Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+137/);
    expect(described.stdout).to.match(/Normal\s+Killing\s+\S+\s+berth-agent\s+Container app failed liveness probe, will be restarted/);
  });

  it('never kills a slow starter for liveness while its startup probe protects it, and kills one whose startup probe gives up', async () => {
    const started = { exec: { command: ['cat', '/tmp/started'] }, periodSeconds: 1 };
    await bind('slow-start', {
      containers: [{ name: 'app', image: c().image, command: ['sh', '-c', 'sleep 5; touch /tmp/started; exec sleep 3600'], startupProbe: { ...started, failureThreshold: 15 }, livenessProbe: { ...started, failureThreshold: 1 } }],
    });
    await bind('never-starts', { containers: [{ name: 'app', image: c().image, command: ['sleep', '3600'], startupProbe: { ...started, failureThreshold: 2 } }] });
    await eventually(async () => {
      const s = only(await c().pod('slow-start'));
      expect(s.started).to.equal(true);
      expect(s.ready).to.equal(true);
    }, 40_000);
    expect(only(await c().pod('slow-start')).restartCount).to.equal(0);
    expect((await events('slow-start')).filter((e) => e.includes('Killing'))).to.deep.equal([]);
    await eventually(async () => {
      expect(only(await c().pod('never-starts')).restartCount).to.be.at.least(1);
      expect(await events('never-starts')).to.include('Normal Killing Container app failed startup probe, will be restarted');
    }, 40_000);
  });

  it('runs postStart right after the start, and kills and restarts a container whose postStart fails', async () => {
    const proof = 'sleep 2; [ -f /tmp/post-started ] && exit 0; exit 3';
    await bind('post-start', { restartPolicy: 'Never', containers: [{ name: 'app', image: c().image, command: ['sh', '-c', proof], lifecycle: { postStart: { exec: { command: ['touch', '/tmp/post-started'] } } } }] });
    await bind('bad-post-start', { containers: [{ name: 'app', image: c().image, command: ['sleep', '3600'], lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo no way; exit 1'] } } } }] });
    await eventually(async () => {
      const p = await c().pod('post-start');
      expect(p.status?.phase).to.equal('Succeeded');
      expect(only(p).state?.terminated?.exitCode).to.equal(0);
    }, 40_000);
    await eventually(async () => {
      expect(only(await c().pod('bad-post-start')).restartCount).to.be.at.least(1);
      expect((await events('bad-post-start')).some((e) => e.startsWith('Warning FailedPostStartHook Exec lifecycle hook ([sh -c echo no way; exit 1]) for Container "app" in Pod "bad-post-start_default('))).to.equal(true);
    }, 40_000);
  });

  it('terminates a deleted pod: drain wait, then preStop, then SIGTERM; then FinishPodTermination removes it', async () => {
    const fake = api as FakeNodeAPI;
    fake.drainDelayMs = 3_000;
    // The TERM trap exits 42 only if the preStop hook has already run.
    const script = 'trap "[ -f /tmp/pre-stopped ] && exit 42; exit 41" TERM; while true; do sleep 0.1; done';
    const pod = await bind('graceful', { terminationGracePeriodSeconds: 10, containers: [{ name: 'app', image: c().image, command: ['sh', '-c', script], lifecycle: { preStop: { exec: { command: ['touch', '/tmp/pre-stopped'] } } } }] });
    const id = await eventually(async () => {
      const s = only(await c().pod('graceful'));
      expect(s.state?.running).to.not.equal(undefined);
      return (s.containerID ?? '').replace(/^berth:\/\//, '');
    }, 30_000);
    const { last } = await deleteAndFollow('graceful', 10, async () => {
      await eventually(() => expect(fake.drainWaits.map((d) => d.uid)).to.include(pod.metadata.uid), 10_000);
      // While the endpoints drain, the container runs on and its preStop hook has not run yet.
      const check = await (agent as TestAgent).runtime().exec(id, { command: ['sh', '-c', '[ ! -f /tmp/pre-stopped ]'] });
      expect(await check.exit).to.equal(0);
    });
    expect(last?.state?.terminated?.exitCode, JSON.stringify(last)).to.equal(42);
    // 10 s of grace, 2 s of it kept for preStop and SIGTERM.
    expect(fake.drainWaits.find((d) => d.uid === pod.metadata.uid)?.timeout_ms).to.be.within(6_000, 8_000);
    expect(fake.finished.filter((f) => f.name === 'graceful').map((f) => f.uid)).to.deep.equal([pod.metadata.uid]);
    expect((await (agent as TestAgent).runtime().list()).filter((x) => x.id.startsWith(pod.metadata.uid ?? '-'))).to.deep.equal([]);
  });

  it('kills a process that ignores SIGTERM when the grace period is over', async () => {
    (api as FakeNodeAPI).drainDelayMs = 0;
    const pod = await bind('stubborn', { terminationGracePeriodSeconds: 2, containers: [{ name: 'app', image: c().image, command: ['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done'] }] });
    await eventually(async () => expect(only(await c().pod('stubborn')).state?.running).to.not.equal(undefined), 30_000);
    const { since, last } = await deleteAndFollow('stubborn', 2);
    expect(last?.state?.terminated?.exitCode).to.equal(137);
    const killedAfterMs = Date.parse(last?.state?.terminated?.finishedAt ?? '') - since;
    expect(killedAfterMs).to.be.within(1_500, 4_000);
    expect((api as FakeNodeAPI).finished.map((f) => f.uid)).to.include(pod.metadata.uid);
  });

  it('finishes at once a pod deleted before anything of it ran, and calls nothing for a pod whose object is already gone', async () => {
    const unpulled = await bind('never-ran', { containers: [{ name: 'app', image: `${c().registry.address}/no-such-image:v1` }] });
    await eventually(async () => expect(only(await c().pod('never-ran')).state?.waiting?.reason).to.match(/ErrImagePull|ImagePullBackOff/), 30_000);
    await deleteAndFollow('never-ran', 30);
    expect((api as FakeNodeAPI).finished.map((f) => f.uid)).to.include(unpulled.metadata.uid);
    const gone = await bind('force-deleted', { containers: [{ name: 'app', image: c().image, command: ['sleep', '3600'] }] });
    await eventually(async () => expect(only(await c().pod('force-deleted')).state?.running).to.not.equal(undefined), 30_000);
    await c().store.delete(podsResource, 'default', 'force-deleted');
    await eventually(async () => expect((await (agent as TestAgent).runtime().list()).filter((x) => x.id.startsWith(gone.metadata.uid ?? '-'))).to.deep.equal([]), 20_000);
    expect((api as FakeNodeAPI).finished.map((f) => f.uid)).to.not.include(gone.metadata.uid);
    expect((api as FakeNodeAPI).drainWaits.map((f) => f.uid)).to.not.include(gone.metadata.uid);
  });

  it("shows a crash-looping container's back-off in Kubernetes' words", async () => {
    const pod = await bind('looping', { containers: [{ name: 'app', image: c().image, command: ['sh', '-c', 'exit 1'] }] });
    await eventually(async () => {
      const s = only(await c().pod('looping'));
      expect(s.state?.waiting?.reason).to.equal('CrashLoopBackOff');
      expect(s.state?.waiting?.message).to.match(new RegExp(`^back-off \\d+(ms|s) restarting failed container=app pod=looping_default\\(${pod.metadata.uid}\\)$`));
    }, 30_000, 20);
  });
});
