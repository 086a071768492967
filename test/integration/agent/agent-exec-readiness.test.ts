import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { ApiError, ClusterClient } from '../../../cli/client.js';
import type { Event, Lease } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import type { ExecOutput__Output } from '../../../proto/generated/berth/v1/ExecOutput.js';
import type { AgentTestCluster } from '../../support/agent-cluster.js';
import type { TestAgent } from '../../support/agent-process.js';
import { podsResource } from '../../support/agent-cluster.js';
import { only, useAgentCluster } from '../../support/agent-suite.js';
import { BERTH_BIN } from '../../support/cli.js';
import { eventually } from '../../support/wait.js';
import { testCliConfig, testClusterClient } from '../../support/test-pki.js';
import { rawClusterApi } from '../../support/test-clients.js';

/** Collects what a writable receives. */
class Sink extends PassThrough {
  text = '';
  constructor() {
    super();
    this.on('data', (chunk: Buffer) => (this.text += chunk.toString('utf8')));
  }
}

describe('berth-agent: exec through ClusterAPI, and readiness probes (real control plane, agent and containers)', function () {
  this.timeout(120_000);
  let cluster: AgentTestCluster;
  let agent: TestAgent;
  let client: ClusterClient;

  useAgentCluster((c, a) => ([cluster, agent] = [c, a]));
  before(async () => {
    client = await testClusterClient(cluster.server);
    const pod = await cluster.bindPod(agent.name, 'shell', { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: cluster.image, command: ['sleep', '3600'] }] });
    agent.podUids.add(pod.metadata.uid ?? '');
    await eventually(async () => expect(only(await cluster.pod('shell')).state?.running).to.not.equal(undefined), 30_000);
  });
  after(() => client?.close());

  async function exec(command: string[], input?: string, pod = 'shell'): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new Sink();
    const stderr = new Sink();
    const stdin = input === undefined ? undefined : new PassThrough();
    const done = client.exec({ namespace: 'default', pod, container: '', command, stdin: stdin !== undefined, tty: false }, { ...(stdin ? { stdin } : {}), stdout, stderr });
    stdin?.end(input);
    const code = await done;
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it("passes the command's output, stdin and exit code through", async () => {
    expect(await exec(['sh', '-c', 'echo out; echo err >&2; exit 3'])).to.deep.equal({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(await exec(['sh', '-c', 'tr a-z A-Z'], 'typed in\n')).to.deep.equal({ code: 0, stdout: 'TYPED IN\n', stderr: '' });
    const big = await exec(['sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" x']);
    expect(big.stdout.length).to.equal(3_000_000);
  });

  it('kills the command when the client goes away', async () => {
    const raw = await rawClusterApi(cluster.server);
    try {
      const call = raw.Exec();
      call.on('error', () => undefined); // CANCELLED, by us
      const started = new Promise<void>((resolve) => call.on('data', (out: ExecOutput__Output) => (out.output === 'stdout' ? resolve() : undefined)));
      call.write({ start: { namespace: 'default', pod: 'shell', command: ['sh', '-c', 'echo $$ > /tmp/exec.pid; echo started; exec sleep 1000'] } });
      await started;
      call.cancel();
      await eventually(async () => expect((await exec(['sh', '-c', 'kill -0 $(cat /tmp/exec.pid) 2>/dev/null && echo alive || echo gone'])).stdout).to.equal('gone\n'), 10_000);
    } finally {
      raw.close();
    }
  });

  it('berth exec -it gives an interactive shell a terminal of the size of the user\'s, and exits with its code', async () => {
    // script(1) gives the CLI a terminal of its own, sized 30x100 here, as a user's shell would.
    const cli = `stty rows 30 cols 100; ${process.execPath} ${BERTH_BIN} --server ${cluster.server} exec -it shell -- sh -c 'tty; stty size; read answer; echo "answer=$answer"; exit 4'`;
    const child = execFile('script', ['-qec', cli, '/dev/null'], { encoding: 'utf8', env: { ...process.env, BERTH_CONFIG: await testCliConfig() } });
    let out = '';
    child.stdout?.on('data', (d: string) => {
      out += d;
      if (out.includes('30 100')) child.stdin?.write('yes\r');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).to.equal(4);
    expect(out).to.contain('/dev/pts/0').and.contain('30 100').and.contain('answer=yes');
  });

  it('refuses clearly: an unknown pod, an unknown container, a command the image lacks', async () => {
    const refusal = async (start: { pod?: string; container?: string; command?: string[] }) => {
      try {
        await client.exec({ namespace: 'default', pod: 'shell', container: '', command: ['true'], stdin: false, tty: false, ...start }, { stdout: new Sink(), stderr: new Sink() });
      } catch (err) {
        return err as ApiError;
      }
      throw new Error('the exec succeeded');
    };
    const noPod = await refusal({ pod: 'no-such-pod' });
    expect(noPod.code).to.equal(grpc.status.NOT_FOUND);
    const noContainer = await refusal({ container: 'other' });
    expect(noContainer.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(noContainer.message).to.contain('container other is not valid for pod shell: choose one of main');
    const noCommand = await refusal({ command: ['no-such-command'] });
    expect(noCommand.code, noCommand.message).to.equal(grpc.status.FAILED_PRECONDITION);
    expect(noCommand.message, noCommand.message).to.contain('no-such-command').and.contain('not found');
  });

  const ready = (pod: Pod) => ({
    container: pod.status?.containerStatuses?.[0]?.ready,
    pod: pod.status?.conditions?.find((c) => c.type === 'Ready')?.status,
    containers: pod.status?.conditions?.find((c) => c.type === 'ContainersReady')?.status,
  });
  const unhealthy = async (name: string) =>
    ((await cluster.store.list(RESOURCE.events, 'default')).items as Event[]).filter((e) => e.involvedObject.name === name && e.reason === 'Unhealthy').map((e) => `${e.type} ${e.message}`);

  it('keeps a running pod unready until its exec readiness probe passes, and makes it unready when it fails again', async () => {
    const probe = { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 };
    const pod = await cluster.bindPod(agent.name, 'gated', { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: cluster.image, command: ['sleep', '3600'], readinessProbe: probe }] });
    agent.podUids.add(pod.metadata.uid ?? '');
    await eventually(async () => {
      const p = await cluster.pod('gated');
      expect(p.status?.phase).to.equal('Running');
      expect(ready(p)).to.deep.equal({ container: false, pod: 'False', containers: 'False' });
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.message).to.equal('containers with unready status: [main]');
    }, 30_000);
    await eventually(async () => expect(await unhealthy('gated')).to.include("Warning Readiness probe failed: cat: can't open '/tmp/ready': No such file or directory"), 10_000);
    expect((await exec(['touch', '/tmp/ready'], undefined, 'gated')).code).to.equal(0);
    await eventually(async () => expect(ready(await cluster.pod('gated'))).to.deep.equal({ container: true, pod: 'True', containers: 'True' }), 10_000);
    expect((await exec(['rm', '/tmp/ready'], undefined, 'gated')).code).to.equal(0);
    await eventually(async () => expect(ready(await cluster.pod('gated'))).to.deep.equal({ container: false, pod: 'False', containers: 'False' }), 10_000);
  });

  it('fails an exec probe that outlasts its timeout, and ends the command it started', async () => {
    const probe = { exec: { command: ['sleep', '30'] }, timeoutSeconds: 1, periodSeconds: 2 };
    const pod = await cluster.bindPod(agent.name, 'slow', { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: cluster.image, command: ['sleep', '3600'], readinessProbe: probe }] });
    agent.podUids.add(pod.metadata.uid ?? '');
    await eventually(async () => expect(await unhealthy('slow')).to.include('Warning Readiness probe failed: command "sleep 30" timed out'), 30_000);
    expect(ready(await cluster.pod('slow')).container).to.equal(false);
    // Each attempt's sleep is killed at its timeout: at most the current one runs.
    const { stdout } = await exec(['ps', '-o', 'args'], undefined, 'slow');
    expect(stdout.split('\n').filter((l) => l.trim() === 'sleep 30').length).to.be.at.most(1);
  });

  it('keeps a ready pod Ready across an agent restart: no report makes it unready, its Ready condition keeps its time', async () => {
    const probe = { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 };
    const pod = await cluster.bindPod(agent.name, 'steady-ready', { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: cluster.image, command: ['sh', '-c', 'touch /tmp/ready && exec sleep 3600'], readinessProbe: probe }] });
    agent.podUids.add(pod.metadata.uid ?? '');
    const readySince = await eventually(async () => {
      const p = await cluster.pod('steady-ready');
      expect(ready(p)).to.deep.equal({ container: true, pod: 'True', containers: 'True' });
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
    }, 30_000);
    // Every Ready condition written from here on, in order.
    const seen: string[] = [];
    const watch = cluster.store.watch(podsResource, 'default', { fromRevision: await cluster.store.currentRevision() });
    const watching = (async () => {
      for (let e = await watch.next(); !e.done; e = await watch.next()) {
        const p = e.value.object as Pod;
        if (p.metadata.name === 'steady-ready') seen.push(`${ready(p).pod} since ${p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime}`);
      }
    })();
    try {
      await agent.stop('SIGTERM');
      const since = new Date().toISOString();
      await agent.launch();
      await eventually(async () => expect((((await cluster.store.get(RESOURCE.leases, undefined, agent.name)) as Lease).spec.renewTime ?? '') > since).to.equal(true), 20_000);
      // Made unready on purpose: once that shows, every report of the new agent before it is in.
      expect((await exec(['rm', '/tmp/ready'], undefined, 'steady-ready')).code).to.equal(0);
      await eventually(() => expect(seen.at(-1)).to.match(/^False/), 10_000);
      expect(seen.slice(0, -1).every((s) => s === `True since ${readySince}`), seen.join(', ')).to.equal(true);
    } finally {
      watch.close();
      await watching;
    }
  });
});
