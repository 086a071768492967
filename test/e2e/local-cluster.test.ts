import { connect } from 'node:net';
import { expect } from 'chai';
import { berth } from '../support/cli.js';
import { leftovers, startLocalCluster, type LocalClusterHandle } from '../support/local-cluster.js';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

describe('startLocalCluster: the e2e tests\' local cluster', function () {
  this.timeout(240_000);
  let cluster: LocalClusterHandle | undefined;

  after(async () => {
    await cluster?.down();
  });

  it('gives each node its own namespace and address, reachable from the host, and down() leaves nothing', async () => {
    cluster = await startLocalCluster({ nodes: 2 });
    expect(cluster.nodes.map((n) => n.name)).to.deep.equal(['node-1', 'node-2']);
    expect(new Set(cluster.nodes.map((n) => n.ip)).size).to.equal(2);
    const nodes = await berth(cluster.server, ['get', 'nodes', '-o', 'wide'], undefined, cluster.env);
    for (const n of cluster.nodes) {
      expect(nodes.stdout).to.match(new RegExp(`^${n.name}\\s+Ready.*${n.ip.replace(/\./g, '\\.')}`, 'm'));
      // The agent serves AgentAPI (logs) on its node address, inside its namespace.
      expect(await reachable(n.ip, 10250), `${n.name} agent port`).to.equal(true);
    }
    const pids = [cluster.record.controlPlanePid ?? 0, cluster.record.registry?.pid ?? 0, ...cluster.nodes.map((n) => n.agentPid)];
    const record = cluster.record;
    await cluster.down();
    expect(leftovers(record, pids)).to.deep.equal({ processes: [], netns: [], links: [], mounts: [], cgroups: [], dirs: [] });
  });
});
