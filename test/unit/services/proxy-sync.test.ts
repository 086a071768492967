import { expect } from 'chai';
import { NftError, type Nft } from '../../../node-agent/services/nft-runner.js';
import { ProxySyncReporter } from '../../../node-agent/services/proxy-sync-reporter.js';
import { earliestRevision, laterRevision } from '../../../node-agent/services/revision.js';
import { ServiceCache, type ServiceObject } from '../../../node-agent/services/service-cache.js';
import { ServiceProxy, type SyncReport } from '../../../node-agent/services/service-proxy.js';
import { ServiceSource } from '../../../node-agent/services/service-source.js';
import type { WatchStream } from '../../../node-agent/watch/list-watch.js';
import { silentLogger } from '../../support/logger.js';
import { service, slice } from '../../support/service-objects.js';
import { eventually } from '../../support/wait.js';

/** FakeNft applies everything, except what `refuse` refuses. */
class FakeNft implements Nft {
  refuse: (commands: readonly string[]) => boolean = () => false;
  async apply(commands: readonly string[]): Promise<void> {
    if (this.refuse(commands)) throw new NftError('refused by the test');
  }
  async listTable(): Promise<string | undefined> {
    return undefined;
  }
}

const at = <T extends ServiceObject>(object: T, rv: string): T => ({ ...object, metadata: { ...object.metadata, resourceVersion: rv } });
const svc = (name: string, ip: string, rv: string) => at(service(name, { clusterIP: ip, ports: [{ port: 80, protocol: 'TCP' }] }), rv);
const eps = (name: string, rv: string, ...ips: string[]) => at(slice(name, `${name}-1`, [{ port: 8080 }], ips.map((ip) => ({ ip }))), rv);

describe('resource versions', () => {
  it('compare as numbers, an unreadable one losing', () => {
    expect(laterRevision('9', '10')).to.equal('10');
    expect(laterRevision('10', '9')).to.equal('10');
    expect(laterRevision(undefined, '3')).to.equal('3');
    expect(laterRevision('3', 'x')).to.equal('3');
    expect(earliestRevision(['12', '9', '100'])).to.equal('9');
    expect(earliestRevision(['12', undefined]), 'one unknown makes it unknown').to.equal(undefined);
  });
});

describe('service proxy: how far its rules reach (ReportProxySync)', () => {
  let cache: ServiceCache;
  let nft: FakeNft;
  let proxy: ServiceProxy;
  let source: ServiceSource;
  const reports: SyncReport[] = [];
  const revisions = () => reports.map((r) => r.revision);
  beforeEach(() => {
    reports.length = 0;
    cache = new ServiceCache();
    nft = new FakeNft();
    proxy = new ServiceProxy(cache, nft, silentLogger(), (r) => reports.push(r));
    // Fed by hand: the stream is never opened.
    source = new ServiceSource(() => ({}) as WatchStream, cache, silentLogger());
    proxy.start();
  });
  afterEach(() => proxy.stop());

  it('reports the listing\'s revision after the first reconcile, then each event\'s once programmed', async () => {
    source.relist();
    source.change('ADDED', svc('a', '10.96.0.1', '7'));
    source.change('ADDED', eps('a', '5', '10.244.1.1'));
    source.listed('20');
    await eventually(() => expect(revisions()).to.deep.equal(['20']));
    source.change('MODIFIED', eps('a', '21', '10.244.1.2'));
    await eventually(() => expect(revisions().at(-1)).to.equal('21'));
  });

  it('without a BOOKMARK revision, counts a listing as far as its newest object', async () => {
    source.relist();
    source.change('ADDED', svc('a', '10.96.0.1', '7'));
    source.change('ADDED', eps('a', '12', '10.244.1.1'));
    source.listed();
    await eventually(() => expect(revisions()).to.deep.equal(['12']));
  });

  it('is held back by a Service whose rules are refused, at the revision before its change', async () => {
    source.relist();
    source.listed('10');
    await eventually(() => expect(revisions()).to.deep.equal(['10']));
    nft.refuse = (commands) => commands.some((c) => c.includes('svc-default/bad/'));
    source.change('ADDED', svc('bad', '10.96.0.2', '11'));
    source.change('ADDED', eps('bad', '12', '10.244.1.2'));
    source.change('ADDED', svc('good', '10.96.0.1', '13'));
    source.change('ADDED', eps('good', '14', '10.244.1.1'));
    await eventually(() => expect(reports.some((r) => r.services === 1 && r.kind === 'incremental'), JSON.stringify(reports)).to.equal(true));
    expect(revisions().filter((r) => r !== undefined && BigInt(r) > 10n), 'nothing past the refused change').to.deep.equal([]);
    nft.refuse = () => false;
    await eventually(() => expect(revisions().at(-1)).to.equal('14'), 5_000);
  });
});

describe('ServiceSource: how far the cache reaches', () => {
  it('tells after the listing and after each later event, with the cache at that revision', () => {
    const cache = new ServiceCache();
    const heard: string[] = [];
    const source = new ServiceSource(() => ({}) as WatchStream, cache, silentLogger(), (relisted) => heard.push(`${relisted ? 'listed' : 'event'} ${cache.revision}`));
    source.relist();
    source.change('ADDED', svc('a', '10.96.0.1', '9'));
    source.change('ADDED', eps('a', '4', '10.244.1.1'));
    expect(heard, 'nothing while the listing is under way').to.deep.equal([]);
    source.listed();
    source.change('MODIFIED', eps('a', '15', '10.244.1.2'));
    expect(heard).to.deep.equal(['listed 4', 'event 15']);
  });
});

describe('ServiceSource: only EndpointSlices move the revision', () => {
  it('does not count a Service event, which can arrive before a slice event of a lower revision', () => {
    const cache = new ServiceCache();
    const heard: string[] = [];
    const source = new ServiceSource(() => ({}) as WatchStream, cache, silentLogger(), () => heard.push(String(cache.revision)));
    source.relist();
    source.listed('10');
    // The two watches behind WatchServices: a Service change at 13 arrives before the slice change at 12.
    source.change('ADDED', svc('b', '10.96.0.2', '13'));
    expect(cache.revision, 'the slice change at 12 is not in the cache yet').to.equal('10');
    source.change('MODIFIED', eps('a', '12', '10.244.1.2'));
    expect(heard).to.deep.equal(['10', '10', '12']);
  });
});

describe('ProxySyncReporter', () => {
  it('has at most one call in flight, sends the newest revision next, never an older one, and retries a failure', async () => {
    const sent: string[] = [];
    const pending: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
    const reporter = new ProxySyncReporter(
      (rv) =>
        new Promise<void>((resolve, reject) => {
          sent.push(rv);
          pending.push({ resolve, reject });
        }),
      silentLogger(),
    );
    try {
      reporter.offer('5');
      reporter.offer('6');
      reporter.offer('7');
      reporter.offer('4');
      expect(sent).to.deep.equal(['5']);
      pending.shift()?.resolve();
      await eventually(() => expect(sent).to.deep.equal(['5', '7']));
      pending.shift()?.reject(new Error('UNAVAILABLE'));
      await eventually(() => expect(sent).to.deep.equal(['5', '7', '7']), 3_000);
      pending.shift()?.resolve();
      reporter.offer('7');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(sent, 'a revision already reported is not sent again').to.deep.equal(['5', '7', '7']);
      // After a relist (perhaps a restarted control plane, which keeps no report) it is.
      reporter.resend();
      expect(sent).to.deep.equal(['5', '7', '7', '7']);
      pending.shift()?.resolve();
    } finally {
      reporter.stop();
    }
  });
});
