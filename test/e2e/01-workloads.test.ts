import { expect } from 'chai';
import type { LocalClusterHandle } from '../support/local-cluster.js';
import { apply, deployment, isRunning, pods, run, SLEEP, useSharedCluster, waitFor } from '../support/e2e-cluster.js';

describe('e2e: a Deployment on the 3-node cluster', function () {
  this.timeout(120_000);
  let cluster: LocalClusterHandle;

  useSharedCluster((c) => (cluster = c), (c) => run(c, ['delete', 'deployment', 'web', 'echo', '--ignore-not-found']));

  it('runs 3 replicas, one per node', async () => {
    await apply(cluster, deployment('web', 3, SLEEP));
    const running = await waitFor(async () => {
      const items = await pods(cluster, 'app=web');
      expect(items).to.have.length(3);
      for (const p of items) expect(isRunning(p), `${p.metadata.name} ${JSON.stringify(p.status)}`).to.equal(true);
      return items;
    });
    expect(new Set(running.map((p) => p.spec.nodeName))).to.deep.equal(new Set(cluster.nodes.map((n) => n.name)));
  });

  it('scales to 6 (two per node) and back to 1', async () => {
    await run(cluster, ['scale', 'deployment/web', '--replicas', '6']);
    const six = await waitFor(async () => {
      const items = await pods(cluster, 'app=web');
      expect(items.filter(isRunning)).to.have.length(6);
      expect(items).to.have.length(6);
      return items;
    });
    const perNode = new Map<string, number>();
    for (const p of six) perNode.set(p.spec.nodeName ?? '', (perNode.get(p.spec.nodeName ?? '') ?? 0) + 1);
    expect([...perNode.entries()].sort()).to.deep.equal(cluster.nodes.map((n) => [n.name, 2]));

    await run(cluster, ['scale', 'deployment/web', '--replicas', '1']);
    await waitFor(async () => {
      const items = await pods(cluster, 'app=web');
      expect(items).to.have.length(1);
      expect(isRunning(items[0]!)).to.equal(true);
    });
  });

  it('berth logs shows what a container printed', async () => {
    await apply(cluster, deployment('echo', 1, ['sh', '-c', 'echo hello from berth e2e; exec sleep 1000000']));
    const [p] = await waitFor(async () => {
      const items = await pods(cluster, 'app=echo');
      expect(items.filter(isRunning)).to.have.length(1);
      return items;
    });
    await waitFor(async () => {
      const out = await run(cluster, ['logs', p!.metadata.name]);
      expect(out.stdout).to.equal('hello from berth e2e\n');
    });
  });
});
