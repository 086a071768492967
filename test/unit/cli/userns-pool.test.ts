import { expect } from 'chai';
import { userNamespacePool } from '../../../cli/local-cluster/local-cluster.js';

describe('berth up: user-namespace id pools of the local nodes', () => {
  it('gives each node of one machine its own blocks of 65536 host ids, never the block at 0', () => {
    const pools = [0, 1, 2].map((i) => userNamespacePool(i, 3).split('-').map(Number) as [number, number]);
    for (const [first, last] of pools) {
      expect(first % 65536).to.equal(0);
      expect(first).to.be.at.least(65536);
      expect((last + 1) % 65536).to.equal(0);
      expect(last).to.be.at.most(67174399);
    }
    for (let i = 1; i < pools.length; i++) expect((pools[i] as [number, number])[0]).to.be.greaterThan((pools[i - 1] as [number, number])[1]);
  });
});
