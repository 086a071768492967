import { expect } from 'chai';
import { connect } from 'node:net';
import type { Lease } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import { podsResource, type AgentTestCluster } from '../../support/agent-cluster.js';
import type { TestAgent } from '../../support/agent-process.js';
import { only, runtimeId, useAgentCluster } from '../../support/agent-suite.js';
import { isAlive } from '../../support/processes.js';
import { eventually } from '../../support/wait.js';

describe('berth-agent: static stability (agent restarts, control plane outages, unbinding)', function () {
  this.timeout(180_000);
  let cluster: AgentTestCluster;
  let agent: TestAgent;

  useAgentCluster((c, a) => ([cluster, agent] = [c, a]));

  /** Starts the agent again over the same root and waits until it renews its lease. */
  async function relaunch(): Promise<void> {
    const since = new Date().toISOString();
    await agent.launch();
    await eventually(async () => {
      const lease = (await cluster.store.get(RESOURCE.leases, undefined, agent.name)) as Lease;
      expect((lease.spec.renewTime ?? '') > since).to.equal(true);
    }, 20_000);
  }

  async function runningPod(name: string): Promise<{ pod: Pod; pid: number }> {
    const pod = await eventually(async () => {
      const p = await cluster.pod(name);
      expect(only(p).state?.running).to.not.equal(undefined);
      return p;
    }, 30_000);
    const pid = (await agent.runtime().inspect(runtimeId(only(pod)))).pid;
    if (!pid) throw new Error('no pid');
    return { pod, pid };
  }

  it('a restarted agent re-adopts its containers: same PIDs, restartCount unchanged', async () => {
    const pod = await cluster.bindPod(agent.name, 'steady', { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: cluster.image, command: ['sleep', '3600'] }] });
    agent.podUids.add(pod.metadata.uid ?? '');
    const { pid } = await runningPod('steady');
    process.kill(pid, 'SIGKILL'); // one restart, so the count is not trivially 0
    const after = await eventually(async () => {
      const p = await cluster.pod('steady');
      expect(only(p).restartCount).to.equal(1);
      expect(only(p).state?.running).to.not.equal(undefined);
      return p;
    }, 20_000);
    const pidBefore = (await agent.runtime().inspect(runtimeId(only(after)))).pid;

    await agent.stop('SIGTERM');
    expect(pidBefore && isAlive(pidBefore)).to.equal(true); // containers outlive the agent
    await relaunch();
    // The new agent is up and talking to the control plane, and restarted nothing.
    const again = await cluster.pod('steady');
    expect(only(again).restartCount).to.equal(1);
    expect(runtimeId(only(again))).to.equal(runtimeId(only(after)));
    expect((await agent.runtime().inspect(runtimeId(only(again)))).pid).to.equal(pidBefore);

    await agent.stop('SIGKILL'); // a crash of the agent too
    await relaunch();
    expect((await agent.runtime().inspect(runtimeId(only(await cluster.pod('steady'))))).pid).to.equal(pidBefore);
    expect(only(await cluster.pod('steady')).restartCount).to.equal(1);
  });

  it('with the control plane down, a killed container is still restarted; its status arrives when the control plane is back', async () => {
    const { pod, pid } = await runningPod('steady');
    const restartsBefore = only(pod).restartCount;
    await cluster.stopControlPlane();
    try {
      process.kill(pid, 'SIGKILL');
      await eventually(async () => {
        const mine = (await agent.runtime().list()).filter((c) => c.labels['io.berth.pod.uid'] === pod.metadata.uid && c.state === 'running');
        expect(mine).to.have.length(1);
        expect(mine[0]?.pid).to.not.equal(pid);
      }, 20_000);
    } finally {
      await cluster.startControlPlane();
    }
    await eventually(async () => {
      const p = await cluster.pod('steady');
      expect(only(p).restartCount).to.equal(restartsBefore + 1);
      expect(only(p).state?.running).to.not.equal(undefined);
    }, 30_000);
  });

  it('an agent restarted while the control plane is down goes on restarting its crashed containers from its state directory', async () => {
    const { pod, pid } = await runningPod('steady');
    const restartsBefore = only(pod).restartCount;
    await agent.stop('SIGTERM');
    await cluster.stopControlPlane();
    try {
      await agent.launch();
      await eventually(() => new Promise<void>((resolve, reject) => {
        const socket = connect(agent.agentPort, '127.0.0.1', () => {
          socket.end();
          resolve();
        });
        socket.on('error', reject);
      }), 20_000); // AgentAPI is served once the pods are adopted
      process.kill(pid, 'SIGKILL');
      await eventually(async () => {
        const mine = (await agent.runtime().list()).filter((c) => c.labels['io.berth.pod.uid'] === pod.metadata.uid && c.state === 'running');
        expect(mine.map((c) => c.pid)).to.have.length(1).and.not.include(pid);
      }, 20_000);
    } finally {
      await cluster.startControlPlane();
    }
    await eventually(async () => expect(only(await cluster.pod('steady')).restartCount).to.equal(restartsBefore + 1), 30_000);
  });

  it('a pod bound elsewhere is stopped and removed from this node', async () => {
    const { pod } = await runningPod('steady');
    await cluster.store.guaranteedUpdate(podsResource, 'default', 'steady', (current) => {
      const p = current as Pod;
      p.spec.nodeName = 'some-other-node';
      return p;
    });
    await eventually(async () => {
      const left = (await agent.runtime().list()).filter((c) => c.labels['io.berth.pod.uid'] === pod.metadata.uid);
      expect(left).to.deep.equal([]);
    }, 30_000);
  });
});
