import { expect } from 'chai';
import type { Node } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import { isAlive } from '../support/processes.js';
import { nodeContainers, startAgent, stopAgent, type LocalClusterHandle } from '../support/local-cluster.js';
import { apply, deployment, getJson, hostPid, isRunning, pods, run, SLEEP, useSharedCluster, waitFor } from '../support/e2e-cluster.js';

function ready(node: Node): string | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

async function spreadRunning(cluster: LocalClusterHandle, app: string, count: number): Promise<Pod[]> {
  return waitFor(async () => {
    const running = (await pods(cluster, `app=${app}`)).filter(isRunning);
    expect(running).to.have.length(count);
    return running;
  }, 60_000);
}

describe('e2e: nodes drained and lost', function () {
  this.timeout(120_000);
  let cluster: LocalClusterHandle;

  useSharedCluster((c) => (cluster = c), async (c) => {
    await run(c, ['uncordon', 'node-2']);
    await run(c, ['delete', 'deployment', 'drained', 'lost', '--ignore-not-found']);
  });

  it('drain leaves no pods on the node and every replica Running elsewhere; uncordon makes it schedulable again', async () => {
    await apply(cluster, deployment('drained', 3, SLEEP));
    const before = await spreadRunning(cluster, 'drained', 3);
    expect(before.map((p) => p.spec.nodeName)).to.include('node-2');
    await run(cluster, ['drain', 'node-2']);
    await waitFor(async () => {
      const all = await getJson<{ items: Pod[] }>(cluster, ['pods', '-A']);
      expect(all.items.filter((p) => p.spec.nodeName === 'node-2').map((p) => p.metadata.name)).to.deep.equal([]);
      const running = (await pods(cluster, 'app=drained')).filter(isRunning);
      expect(running).to.have.length(3);
      for (const p of running) expect(p.spec.nodeName).to.not.equal('node-2');
    }, 60_000);
    const cordoned = await getJson<Node>(cluster, ['node', 'node-2']);
    expect(cordoned.spec?.unschedulable).to.equal(true);
    await run(cluster, ['uncordon', 'node-2']);
    const uncordoned = await getJson<Node>(cluster, ['node', 'node-2']);
    expect(uncordoned.spec?.unschedulable ?? false).to.equal(false);
  });

  it('a node whose agent stops and whose containers die becomes NotReady, and its replicas run on the others', async () => {
    await apply(cluster, deployment('lost', 3, SLEEP));
    const before = await spreadRunning(cluster, 'lost', 3);
    const victim = cluster.nodes[2]!;
    const lostPods = before.filter((p) => p.spec.nodeName === victim.name);
    expect(lostPods).to.have.length(1);
    await stopAgent(cluster, victim.name, 'SIGKILL');
    // As if the machine died: every container of the node ends too (its own pids, as berth-runtime lists them).
    const lostPid = hostPid(cluster, lostPods[0]!);
    const pids = nodeContainers(victim.root).flatMap((c) => (c.pid && isAlive(c.pid) ? [c.pid] : []));
    expect(pids).to.include(lostPid);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    try {
      await waitFor(async () => {
        const node = await getJson<Node>(cluster, ['node', victim.name]);
        expect(ready(node)).to.not.equal('True');
        const running = (await pods(cluster, 'app=lost')).filter(isRunning);
        expect(running.filter((p) => p.spec.nodeName !== victim.name)).to.have.length(3);
      }, 60_000);
      const lost = (await pods(cluster, 'app=lost')).find((p) => p.metadata.uid === lostPods[0]!.metadata.uid);
      // Marked failed with reason NodeLost (or already removed by its ReplicaSet).
      if (lost) expect(lost.status).to.include({ phase: 'Failed', reason: 'NodeLost' });
    } finally {
      startAgent(cluster, victim.name);
    }
    // Back: the node is Ready again and its agent removed the pod that is no longer bound to it.
    await waitFor(async () => {
      expect(ready(await getJson<Node>(cluster, ['node', victim.name]))).to.equal('True');
      const ids = nodeContainers(victim.root).map((c) => c.id);
      expect(ids.filter((id) => id.startsWith(`${lostPods[0]!.metadata.uid}_`))).to.deep.equal([]);
    }, 60_000);
  });
});
