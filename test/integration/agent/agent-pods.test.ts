import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import type { Event, Lease, Node } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import { netnsName } from '../../../node-agent/network/pod-network.js';
import { mountPointsUnder } from '../../../node-agent/runtime/mounter.js';
import { podsResource, type AgentTestCluster } from '../../support/agent-cluster.js';
import type { TestAgent } from '../../support/agent-process.js';
import { only, runtimeId, useAgentCluster } from '../../support/agent-suite.js';
import { buildBusyboxImage } from '../../support/image-build.js';
import { cgroupDirs } from '../../support/runtime-host.js';
import { eventually } from '../../support/wait.js';
import { rawClusterApi } from '../../support/test-clients.js';

const run = promisify(execFile);

describe('berth-agent: running pods (real agent, control plane, registry, containers)', function () {
  this.timeout(120_000);
  let cluster: AgentTestCluster;
  let agent: TestAgent;

  useAgentCluster((c, a) => ([cluster, agent] = [c, a]));

  async function hostPid(name: string): Promise<number> {
    const status = only(await cluster.pod(name));
    const pid = (await agent.runtime().inspect(runtimeId(status))).pid;
    if (!pid) throw new Error(`container of ${name} has no pid`);
    return pid;
  }

  async function bind(name: string, spec: Partial<Pod['spec']> & Pick<Pod['spec'], 'containers'>): Promise<Pod> {
    const pod = await cluster.bindPod(agent.name, name, { terminationGracePeriodSeconds: 1, ...spec });
    agent.podUids.add(pod.metadata.uid ?? '');
    return pod;
  }

  it('registers the node with capacity, addresses, a pod CIDR, and renews its lease', async () => {
    const node = await eventually(async () => {
      const n = (await cluster.store.get(RESOURCE.nodes, undefined, agent.name)) as Node;
      expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
      return n;
    }, 20_000);
    expect(node.spec.podCIDR).to.match(/^10\.244\.\d+\.0\/24$/);
    expect(node.status?.capacity?.pods).to.equal('110');
    expect(node.status?.addresses).to.deep.include({ type: 'InternalIP', address: '127.0.0.1' });
    expect(node.status?.daemonEndpoints?.agentEndpoint?.Port).to.equal(agent.agentPort);
    expect(node.status?.nodeInfo?.kubeletVersion).to.match(/^berth-/);
    expect(node.metadata.labels?.['kubernetes.io/hostname']).to.equal(agent.name);
    const leases = RESOURCE.leases;
    const first = await eventually(async () => (await cluster.store.get(leases, undefined, agent.name)) as Lease);
    expect(first.spec.holderIdentity).to.equal(agent.name);
    await eventually(async () => {
      const again = (await cluster.store.get(leases, undefined, agent.name)) as Lease;
      expect(again.spec.renewTime).to.not.equal(first.spec.renewTime);
    });
  });

  it('runs a pod: Running, container running with startedAt, Ready', async () => {
    await bind('web', { containers: [{ name: 'main', image: cluster.image, command: ['sh', '-c', 'echo hello from web; sleep 3600'] }] });
    const pod = await eventually(async () => {
      const p = await cluster.pod('web');
      expect(p.status?.phase).to.equal('Running');
      expect(only(p).state?.running?.startedAt).to.be.a('string');
      return p;
    }, 30_000);
    expect(only(pod).ready).to.equal(true);
    expect(only(pod).restartCount).to.equal(0);
    expect(only(pod).imageID).to.contain('@sha256:');
    expect(pod.status?.hostIP).to.equal('127.0.0.1');
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
    await eventually(async () => {
      const { items } = await cluster.store.list(RESOURCE.events, 'default');
      const reasons = (items as Event[]).filter((e) => e.involvedObject.name === 'web').map((e) => e.reason);
      expect(reasons).to.include.members(['Created', 'Started']);
    });
  });

  it('restarts a container whose main process is killed with SIGKILL: running again, restartCount 1', async () => {
    const before = await hostPid('web');
    process.kill(before, 'SIGKILL');
    const pod = await eventually(async () => {
      const p = await cluster.pod('web');
      expect(only(p).restartCount).to.equal(1);
      expect(only(p).state?.running).to.not.equal(undefined);
      return p;
    }, 20_000);
    expect(only(pod).lastState?.terminated?.exitCode).to.equal(137);
    expect(await hostPid('web')).to.not.equal(before);
  });

  it('streams logs through ClusterAPI.Logs from the agent: current, previous instance, tail', async () => {
    const client = await rawClusterApi(cluster.server);
    const logs = (request: { previous?: boolean; tail_lines?: number }) =>
      new Promise<string>((resolve, reject) => {
        let out = '';
        const stream = client.Logs({ namespace: 'default', pod: 'web', container: '', follow: false, tail_lines: 0, previous: false, ...request });
        stream.on('data', (c: { data: Buffer }) => (out += c.data.toString()));
        stream.on('end', () => resolve(out));
        stream.on('error', reject);
      });
    try {
      expect(await logs({})).to.equal('hello from web\n');
      expect(await logs({ previous: true })).to.equal('hello from web\n'); // the instance killed above
      expect(await logs({ tail_lines: 1 })).to.equal('hello from web\n');
      const followed = await new Promise<string>((resolve, reject) => {
        const stream = client.Logs({ namespace: 'default', pod: 'web', container: 'main', follow: true, tail_lines: 0, previous: false });
        stream.on('data', (c: { data: Buffer }) => {
          resolve(c.data.toString());
          stream.cancel(); // a follow of a running container only ends when the client leaves
        });
        stream.on('error', (err: grpc.ServiceError) => (err.code === grpc.status.CANCELLED ? undefined : reject(err)));
      });
      expect(followed).to.equal('hello from web\n');
      const missing = await new Promise<grpc.ServiceError>((resolve) => {
        const stream = client.Logs({ namespace: 'default', pod: 'no-such-pod', container: '', follow: false, tail_lines: 0, previous: false });
        stream.on('data', () => undefined);
        stream.on('error', resolve);
      });
      expect(missing.code).to.equal(grpc.status.NOT_FOUND);
    } finally {
      client.close();
    }
  });

  it('shows CrashLoopBackOff with growing back-off delays for a container that keeps crashing', async () => {
    await bind('crasher', { containers: [{ name: 'main', image: cluster.image, command: ['sh', '-c', 'echo crashing; exit 3'] }] });
    const delays = new Set<string>();
    await eventually(async () => {
      const s = only(await cluster.pod('crasher'));
      const message = s.state?.waiting?.reason === 'CrashLoopBackOff' ? s.state.waiting.message ?? '' : '';
      const match = /back-off (\S+) restarting/.exec(message);
      if (match?.[1]) delays.add(match[1]);
      expect(delays.size).to.be.at.least(3);
      expect(s.lastState?.terminated?.exitCode).to.equal(3);
      expect(s.lastState?.terminated?.reason).to.equal('Error');
    }, 40_000, 20);
    const ms = [...delays].map((d) => (d.endsWith('ms') ? Number(d.slice(0, -2)) : Number(d.slice(0, -1)) * 1000));
    expect(ms).to.deep.equal([...ms].sort((a, b) => a - b));
    expect(new Set(ms).size).to.equal(ms.length);
    const pod = await cluster.pod('crasher');
    expect(only(pod).restartCount).to.be.at.least(3);
    expect(pod.status?.phase).to.equal('Running');
  });

  it('restartPolicy Never: a failed container stays terminated and the pod is Failed', async () => {
    await bind('never', { restartPolicy: 'Never', containers: [{ name: 'main', image: cluster.image, command: ['sh', '-c', 'exit 2'] }] });
    const pod = await eventually(async () => {
      const p = await cluster.pod('never');
      expect(p.status?.phase).to.equal('Failed');
      return p;
    }, 30_000);
    expect(only(pod).state?.terminated).to.include({ exitCode: 2, reason: 'Error' });
    expect(only(pod).restartCount).to.equal(0);
  });

  it('restartPolicy OnFailure: restarts a failing container, and a completed pod is Succeeded', async () => {
    await bind('onfailure', {
      restartPolicy: 'OnFailure',
      containers: [{ name: 'main', image: cluster.image, command: ['sh', '-c', 'exit 1'] }],
    });
    await eventually(async () => expect(only(await cluster.pod('onfailure')).restartCount).to.be.at.least(1), 30_000);
    await bind('completes', { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: cluster.image, command: ['sh', '-c', 'echo done'] }] });
    const done = await eventually(async () => {
      const p = await cluster.pod('completes');
      expect(p.status?.phase).to.equal('Succeeded');
      return p;
    }, 30_000);
    expect(only(done).state?.terminated).to.include({ exitCode: 0, reason: 'Completed' });
    expect(only(done).restartCount).to.equal(0);
  });

  it('restarts a container whose image is changed in the pod spec, on the new image', async () => {
    await bind('upgrade', { containers: [{ name: 'main', image: cluster.image, command: ['sleep', '3600'] }] });
    await eventually(async () => expect(only(await cluster.pod('upgrade')).state?.running).to.not.equal(undefined), 30_000);
    const repository = cluster.image.slice(0, cluster.image.lastIndexOf(':'));
    const name = repository.slice(repository.indexOf('/') + 1);
    const v2 = await buildBusyboxImage(cluster.registry.address, name, 'v2', [{ name: 'etc/', type: 'dir', mode: 0o755 }, { name: 'etc/version', content: 'v2\n' }]);
    await cluster.store.guaranteedUpdate(podsResource, 'default', 'upgrade', (current) => {
      const p = current as Pod;
      const c = p.spec.containers[0];
      if (c) c.image = v2.reference;
      return p;
    });
    const s = await eventually(async () => {
      const status = only(await cluster.pod('upgrade'));
      expect(status.image).to.equal(v2.reference);
      expect(status.imageID).to.contain(v2.digest);
      expect(status.state?.running).to.not.equal(undefined);
      return status;
    }, 30_000);
    expect(s.restartCount).to.equal(1);
  });

  it('reports ErrImagePull with the registry\'s message for a missing image', async () => {
    await bind('missing', { containers: [{ name: 'main', image: `${cluster.registry.address}/does-not-exist:v1`, imagePullPolicy: 'IfNotPresent' }] });
    const s = await eventually(async () => {
      const status = only(await cluster.pod('missing'));
      expect(status.state?.waiting?.reason).to.equal('ErrImagePull');
      return status;
    }, 30_000, 20);
    expect(s.state?.waiting?.message).to.match(/not found|unknown/i);
    expect((await cluster.pod('missing')).status?.phase).to.equal('Pending');
  });

  it('stops and removes a deleted pod: no container, cgroup, mount, netns or state left', async () => {
    const pod = await bind('doomed', { containers: [{ name: 'main', image: cluster.image, command: ['sleep', '3600'] }] });
    const uid = pod.metadata.uid ?? '';
    await eventually(async () => expect(only(await cluster.pod('doomed')).state?.running).to.not.equal(undefined), 30_000);
    const id = runtimeId(only(await cluster.pod('doomed')));
    await cluster.store.delete(podsResource, 'default', 'doomed');
    await eventually(async () => {
      const left = (await agent.runtime().list()).filter((c) => c.labels['io.berth.pod.uid'] === uid);
      expect(left).to.deep.equal([]);
      expect(existsSync(`/var/run/netns/${netnsName(uid)}`)).to.equal(false);
      expect(existsSync(`${agent.root}/pods/${uid}.json`)).to.equal(false);
      expect(await cgroupDirs(`/${agent.cgroupParent}/pod${uid}`)).to.deep.equal([]);
      expect((await mountPointsUnder(agent.root)).filter((m) => m.includes(id))).to.deep.equal([]);
    }, 30_000);
    const { stdout } = await run('ip', ['netns', 'list']);
    expect(stdout).to.not.contain(netnsName(uid));
  });
});
