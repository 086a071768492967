import { expect } from 'chai';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { LeaderElection } from '../../../control-plane/leader/leader-election.js';
import { createLogger } from '../../../control-plane/log.js';
import { silentLogger } from '../../support/logger.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import { startTestEtcd } from '../../support/etcd.js';
import type { TestEtcd } from '../../support/etcd.js';
import { eventually } from '../../support/wait.js';

describe('LeaderElection on a real etcd', function () {
  this.timeout(30_000);
  let etcd: TestEtcd;
  const clients: EtcdClient[] = [];
  const elections: LeaderElection[] = [];

  before(async () => {
    etcd = await startTestEtcd();
  });
  afterEach(async () => {
    for (const e of elections.splice(0)) await e.stop();
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    await etcd?.stop();
  });

  function candidate(name: string, log: string[]) {
    const client = connectEtcd([etcd.endpoint]);
    clients.push(client);
    const election = new LeaderElection(new ObjectStore(client), {
      onStartedLeading: (signal) => {
        log.push(`${name} leads`);
        signal.addEventListener('abort', () => log.push(`${name} stops`));
      },
    }, process.env.DEBUG_LE ? createLogger('debug') : silentLogger(), { name: 'test', leaseSeconds: 2, identity: name });
    elections.push(election);
    election.start();
    return election;
  }

  it('elects exactly one leader, and hands over at once when it resigns', async () => {
    const log: string[] = [];
    const a = candidate('a', log);
    await eventually(() => expect(a.isLeader).to.equal(true));
    const b = candidate('b', log);
    await new Promise((r) => setTimeout(r, 300));
    expect(b.isLeader).to.equal(false);
    await a.stop();
    await eventually(() => expect(b.isLeader).to.equal(true), 1500);
    expect(log).to.deep.equal(['a leads', 'a stops', 'b leads']);
  });

  it('a leader that loses its lease stops leading, and a resigned candidate never leads', async () => {
    const log: string[] = [];
    const a = candidate('a', log);
    await eventually(() => expect(a.isLeader).to.equal(true));
    const c = candidate('c', log);
    await c.stop();
    // The leader's lease is revoked (as when it expires during a partition): it must step down.
    const admin = clients[0] as EtcdClient;
    for (const lease of (await admin.leaseClient.leaseLeases({})).leases) await admin.leaseClient.leaseRevoke({ ID: lease.ID });
    await eventually(() => expect(log).to.include('a stops'));
    await eventually(() => expect(a.isLeader).to.equal(true));
    expect(log.filter((l) => l.startsWith('c'))).to.deep.equal([]);
  });
});
