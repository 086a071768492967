import { expect } from 'chai';
import type { Node } from '../../../proto/objects/cluster.js';
import { NodeRoutes, planRoutes, routeOf } from '../../../node-agent/network/node-routes.js';
import type { NodeRoute, RouteTable } from '../../../node-agent/network/route-table.js';
import { silentLogger } from '../../support/logger.js';
import { eventually } from '../../support/wait.js';

function node(name: string, podCIDR?: string, ip?: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: podCIDR ? { podCIDR } : {},
    status: { addresses: ip ? [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }] : [] },
  };
}

/** A route table in memory that can be made to fail its next change. */
class FakeTable {
  readonly routes = new Map<string, string>();
  failNext = false;
  changes = 0;

  async list(): Promise<NodeRoute[]> {
    return [...this.routes].map(([cidr, via]) => ({ cidr, via }));
  }

  async replace(route: NodeRoute): Promise<void> {
    this.fail();
    this.routes.set(route.cidr, route.via);
  }

  async remove(cidr: string): Promise<void> {
    this.fail();
    this.routes.delete(cidr);
  }

  private fail(): void {
    this.changes++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('RTNETLINK answers: Network is unreachable');
    }
  }
}

describe('routes to other nodes\' pods', () => {
  it('wants a route via each other node\'s InternalIP to its pod CIDR, none to itself or to a node lacking either', () => {
    expect(routeOf(node('node-2', '10.244.1.0/24', '10.213.0.12'), 'node-1')).to.deep.equal({ cidr: '10.244.1.0/24', via: '10.213.0.12' });
    expect(routeOf(node('node-1', '10.244.0.0/24', '10.213.0.11'), 'node-1')).to.equal(undefined);
    expect(routeOf(node('node-3', undefined, '10.213.0.13'), 'node-1')).to.equal(undefined);
    expect(routeOf(node('node-3', '10.244.2.0/24'), 'node-1')).to.equal(undefined);
  });

  it('plans the changes between wanted and current routes', () => {
    const plan = planRoutes(
      new Map([['10.244.1.0/24', '10.213.0.12'], ['10.244.2.0/24', '10.213.0.20']]),
      new Map([['10.244.2.0/24', '10.213.0.13'], ['10.244.9.0/24', '10.213.0.19']]),
    );
    expect(plan).to.deep.equal({ replace: [{ cidr: '10.244.1.0/24', via: '10.213.0.12' }, { cidr: '10.244.2.0/24', via: '10.213.0.20' }], remove: ['10.244.9.0/24'] });
    expect(planRoutes(new Map([['a', 'b']]), new Map([['a', 'b']]))).to.deep.equal({ replace: [], remove: [] });
  });

  it('after a watch (re)connects, routes to every listed node are set and those of nodes gone meanwhile removed', async () => {
    const table = new FakeTable();
    table.routes.set('10.244.9.0/24', '10.213.0.19'); // an earlier agent's route to a node deleted while it was down
    table.routes.set('10.244.1.0/24', '10.213.0.12');
    const routes = new NodeRoutes('node-1', table as unknown as RouteTable, silentLogger(), { retryMs: 5 });
    try {
      routes.relist();
      routes.upsert(node('node-1', '10.244.0.0/24', '10.213.0.11'));
      routes.upsert(node('node-2', '10.244.1.0/24', '10.213.0.12'));
      routes.upsert(node('node-3', '10.244.2.0/24', '10.213.0.13'));
      routes.listed();
      await eventually(() => expect(Object.fromEntries(table.routes)).to.deep.equal({ '10.244.1.0/24': '10.213.0.12', '10.244.2.0/24': '10.213.0.13' }), 2_000, 5);
      routes.remove(node('node-3', '10.244.2.0/24', '10.213.0.13'));
      routes.upsert(node('node-4', '10.244.3.0/24', '10.213.0.14'));
      await eventually(() => expect(Object.fromEntries(table.routes)).to.deep.equal({ '10.244.1.0/24': '10.213.0.12', '10.244.3.0/24': '10.213.0.14' }), 2_000, 5);
    } finally {
      routes.stop();
    }
  });

  it('tries a failed change again until the routes are right', async () => {
    const table = new FakeTable();
    const routes = new NodeRoutes('node-1', table as unknown as RouteTable, silentLogger(), { retryMs: 5 });
    try {
      routes.relist();
      routes.listed();
      table.failNext = true;
      routes.upsert(node('node-2', '10.244.1.0/24', '10.213.0.12'));
      await eventually(() => expect(Object.fromEntries(table.routes)).to.deep.equal({ '10.244.1.0/24': '10.213.0.12' }), 5_000, 20);
      expect(table.changes).to.equal(2);
    } finally {
      routes.stop();
    }
  });
});
