import { expect } from 'chai';
import { NftError, type Nft } from '../../../node-agent/services/nft-runner.js';
import { ServiceCache } from '../../../node-agent/services/service-cache.js';
import { ServiceProxy } from '../../../node-agent/services/service-proxy.js';
import { silentLogger } from '../../support/logger.js';
import { service, slice } from '../../support/service-objects.js';
import { eventually } from '../../support/wait.js';

/** FakeNft records what the proxy asks of nft; `refuse` makes a transaction fail when it returns true. */
class FakeNft implements Nft {
  readonly transactions: string[][] = [];
  listings = 0;
  listing: string | undefined;
  refuse: (commands: readonly string[]) => boolean = () => false;

  async apply(commands: readonly string[]): Promise<void> {
    if (this.refuse(commands)) throw new NftError('refused by the test');
    this.transactions.push([...commands]);
  }

  async listTable(): Promise<string | undefined> {
    this.listings++;
    return this.listing;
  }
}

const svc = (name: string, ip: string) => service(name, { clusterIP: ip, ports: [{ port: 80, protocol: 'TCP' }] });
const eps = (name: string, ...ips: string[]) => slice(name, `${name}-1`, [{ port: 8080 }], ips.map((ip) => ({ ip })));

describe('service proxy: when and how it programs', () => {
  let cache: ServiceCache;
  let nft: FakeNft;
  let proxy: ServiceProxy;
  beforeEach(() => {
    cache = new ServiceCache();
    nft = new FakeNft();
    proxy = new ServiceProxy(cache, nft, silentLogger());
    proxy.start();
  });
  afterEach(() => proxy.stop());

  it('touches nothing before the first complete listing, then reads the table and reconciles it in one transaction', async () => {
    cache.upsert(svc('a', '10.96.0.1'));
    cache.upsert(eps('a', '10.244.1.1'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(nft.listings).to.equal(0);
    expect(nft.transactions).to.deep.equal([]);
    cache.listed(new Set(['Service/default/a', 'EndpointSlice/default/a-1']));
    await eventually(() => expect(nft.transactions).to.have.length(1));
    expect(nft.listings).to.equal(1);
    expect(nft.transactions[0]!.join('\n')).to.contain('10.96.0.1 . tcp . 80');
  });

  it('programs changes that arrive together in one transaction', async () => {
    cache.listed(new Set());
    await eventually(() => expect(nft.transactions).to.have.length(1));
    cache.upsert(svc('a', '10.96.0.1'));
    cache.upsert(eps('a', '10.244.1.1'));
    cache.upsert(svc('b', '10.96.0.2'));
    cache.upsert(eps('b', '10.244.1.2'));
    await eventually(() => expect(nft.transactions).to.have.length(2));
    const second = nft.transactions[1]!.join('\n');
    expect(second).to.contain('svc-default/a/tcp/80').and.to.contain('svc-default/b/tcp/80');
  });

  it('programs the others when one Service\'s rules are refused, and retries that one alone', async () => {
    cache.listed(new Set());
    await eventually(() => expect(nft.transactions).to.have.length(1));
    nft.refuse = (commands) => commands.some((c) => c.includes('svc-default/bad/'));
    cache.upsert(svc('good', '10.96.0.1'));
    cache.upsert(eps('good', '10.244.1.1'));
    cache.upsert(svc('bad', '10.96.0.2'));
    cache.upsert(eps('bad', '10.244.1.2'));
    await eventually(() => expect(nft.transactions.some((t) => t.some((c) => c.includes('svc-default/good/')))).to.equal(true));
    expect(nft.transactions.some((t) => t.some((c) => c.includes('svc-default/bad/')))).to.equal(false);
    // Later changes of the good one go through while the bad one waits.
    cache.upsert(eps('good', '10.244.1.9'));
    await eventually(() => expect(nft.transactions.some((t) => t.some((c) => c.includes('dnat ip to 10.244.1.9:8080')))).to.equal(true));
    nft.refuse = () => false;
    await eventually(() => expect(nft.transactions.some((t) => t.some((c) => c.includes('svc-default/bad/')))).to.equal(true), 5_000);
  });

  it('replaces, in one transaction, a table in a form it does not know', async () => {
    nft.listing = JSON.stringify({ nftables: [{ table: { family: 'ip', name: 'berth-proxy' } }, { map: { family: 'ip', table: 'berth-proxy', name: 'service-ips', map: 'verdict', elem: [[{ prefix: { addr: '10.0.0.0', len: 8 } }, { accept: null }]] } }] });
    cache.listed(new Set());
    await eventually(() => expect(nft.transactions).to.have.length(1));
    expect(nft.transactions[0]!.slice(0, 3)).to.deep.equal(['add table ip berth-proxy', 'delete table ip berth-proxy', 'add table ip berth-proxy']);
  });
});

describe('ServiceCache', () => {
  it('files slices under the Service their label names, moves them when it changes, and forgets what a listing lacked', () => {
    const cache = new ServiceCache();
    const changed: string[] = [];
    cache.onChange((k) => changed.push(k));
    cache.upsert(svc('a', '10.96.0.1'));
    cache.upsert(eps('a', '10.244.1.1'));
    const moved = eps('a', '10.244.1.1');
    moved.metadata.labels = { 'kubernetes.io/service-name': 'b' };
    cache.upsert(moved);
    expect(cache.get('default/a').slices).to.deep.equal([]);
    expect(cache.get('default/b').slices.map((s) => s.metadata.name)).to.deep.equal(['a-1']);
    expect(changed).to.deep.equal(['default/a', 'default/a', 'default/a', 'default/b']);
    cache.listed(new Set(['Service/default/a']));
    expect(cache.get('default/b').slices).to.deep.equal([]);
    expect(cache.keys()).to.deep.equal(['default/a']);
    expect(cache.synced).to.equal(true);
  });
});
