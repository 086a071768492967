import { expect } from 'chai';
import { ClusterZone } from '../../../node-agent/dns/cluster-zone.js';
import { resolve } from '../../../node-agent/dns/resolver.js';
import { buildResponse, udpLimit } from '../../../node-agent/dns/response.js';
import { feedZone } from '../../../node-agent/dns/zone-feed.js';
import { parseQuery, RCODE, TYPE } from '../../../node-agent/dns/wire.js';
import { ServiceCache } from '../../../node-agent/services/service-cache.js';
import { decodeAnswer, encodeQuery, type DecodedAnswer, type QueryOptions } from '../../support/dns-client.js';
import { service, slice } from '../../support/service-objects.js';

/** The cluster DNS as a client sees it, without sockets: query bytes in, answer bytes out ('forward' for names it does not own). */
function asker(zone: ClusterZone) {
  return (name: string, type: number, options: QueryOptions & { tcp?: boolean } = {}): DecodedAnswer | 'forward' => {
    const msg = encodeQuery(name, type, options);
    const parsed = parseQuery(msg);
    if (parsed.kind !== 'query') throw new Error(`not a query: ${JSON.stringify(parsed)}`);
    const decision = resolve(zone, parsed.query);
    if (decision.kind === 'forward') return 'forward';
    return decodeAnswer(buildResponse(msg, parsed.query, decision.reply, options.tcp ? 65_535 : udpLimit(parsed.query)));
  };
}

function answered(a: DecodedAnswer | 'forward'): DecodedAnswer {
  if (a === 'forward') throw new Error('expected an answer, not forwarding');
  return a;
}

describe('cluster DNS: records from Services and EndpointSlices (Kubernetes DNS specification)', () => {
  let cache: ServiceCache;
  let ask: ReturnType<typeof asker>;

  beforeEach(() => {
    cache = new ServiceCache();
    const zone = new ClusterZone('cluster.local');
    feedZone(cache, zone);
    ask = asker(zone);
    cache.upsert(service('web', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 8443, protocol: 'TCP' }] }));
    cache.upsert(service('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }, 'shop'));
    cache.upsert(
      slice('db', 'db-1', [{ name: 'pg', port: 5433 }], [
        { ip: '10.244.1.7', hostname: 'db-0' },
        { ip: '10.244.2.9' },
        { ip: '10.244.3.3', ready: false },
      ], 'shop'),
    );
  });

  it('answers a Service name with its ClusterIP, authoritatively, 5 s TTL, echoing the question in the client\'s letter case', () => {
    const a = answered(ask('Web.Default.SVC.Cluster.Local', TYPE.A));
    expect(a).to.deep.include({ rcode: RCODE.NOERROR, aa: true, question: 'Web.Default.SVC.Cluster.Local' });
    expect(a.answers).to.deep.equal([{ name: 'Web.Default.SVC.Cluster.Local', type: TYPE.A, ttl: 5, data: '10.96.0.20' }]);
  });

  it('answers SRV for named ports only, with the Service\'s A record in the additional section', () => {
    const a = answered(ask('_http._tcp.web.default.svc.cluster.local', TYPE.SRV));
    expect(a.answers.map((r) => r.data)).to.deep.equal(['0 100 80 web.default.svc.cluster.local']);
    expect(a.additional).to.deep.equal([{ name: 'web.default.svc.cluster.local', type: TYPE.A, ttl: 5, data: '10.96.0.20' }]);
    expect(answered(ask('_8443._tcp.web.default.svc.cluster.local', TYPE.SRV)).rcode).to.equal(RCODE.NXDOMAIN);
  });

  it('answers a headless Service with its ready endpoints, each also under its hostname (or dashed address), with SRV and PTR records', () => {
    expect(answered(ask('db.shop.svc.cluster.local', TYPE.A)).answers.map((r) => r.data).sort()).to.deep.equal(['10.244.1.7', '10.244.2.9']);
    expect(answered(ask('db-0.db.shop.svc.cluster.local', TYPE.A)).answers.map((r) => r.data)).to.deep.equal(['10.244.1.7']);
    expect(answered(ask('10-244-2-9.db.shop.svc.cluster.local', TYPE.A)).answers.map((r) => r.data)).to.deep.equal(['10.244.2.9']);
    const srv = answered(ask('_pg._tcp.db.shop.svc.cluster.local', TYPE.SRV));
    expect(srv.answers.map((r) => r.data).sort()).to.deep.equal(['0 100 5433 10-244-2-9.db.shop.svc.cluster.local', '0 100 5433 db-0.db.shop.svc.cluster.local']);
    expect(srv.additional.map((r) => `${r.name} ${r.data}`).sort()).to.deep.equal(['10-244-2-9.db.shop.svc.cluster.local 10.244.2.9', 'db-0.db.shop.svc.cluster.local 10.244.1.7']);
    expect(answered(ask('7.1.244.10.in-addr.arpa', TYPE.PTR)).answers.map((r) => r.data)).to.deep.equal(['db-0.db.shop.svc.cluster.local']);
    expect(answered(ask('10-244-3-3.db.shop.svc.cluster.local', TYPE.A)).rcode).to.equal(RCODE.NXDOMAIN);
  });

  it('answers NXDOMAIN for a headless Service without ready endpoints, and once a Service is deleted', () => {
    cache.upsert(slice('db', 'db-1', [{ name: 'pg', port: 5433 }], [{ ip: '10.244.1.7', ready: false }], 'shop'));
    expect(answered(ask('db.shop.svc.cluster.local', TYPE.A)).rcode).to.equal(RCODE.NXDOMAIN);
    cache.remove(service('web', {}));
    const gone = answered(ask('web.default.svc.cluster.local', TYPE.A));
    expect(gone.rcode).to.equal(RCODE.NXDOMAIN);
    expect(gone.answers).to.deep.equal([]);
  });

  it('answers NXDOMAIN for unknown cluster names and NODATA for names without that type, with the SOA for negative caching', () => {
    const nx = answered(ask('nope.default.svc.cluster.local', TYPE.A));
    expect(nx).to.deep.include({ rcode: RCODE.NXDOMAIN, aa: true });
    expect(nx.authority.map((r) => `${r.name} ${r.type}`)).to.deep.equal(['cluster.local 6']);
    // Search-path expansions of outside names stay inside the cluster domain: NXDOMAIN, not forwarded.
    expect(answered(ask('example.com.default.svc.cluster.local', TYPE.A)).rcode).to.equal(RCODE.NXDOMAIN);
    for (const [name, type] of [['web.default.svc.cluster.local', TYPE.AAAA], ['default.svc.cluster.local', TYPE.A], ['svc.cluster.local', TYPE.A]] as const) {
      const nodata = answered(ask(name, type));
      expect(nodata, name).to.deep.include({ rcode: RCODE.NOERROR, aa: true });
      expect(nodata.answers, name).to.deep.equal([]);
      expect(nodata.authority.map((r) => r.type), name).to.deep.equal([TYPE.SOA]);
    }
  });

  it('answers the ClusterIP\'s PTR, pod A records, the schema version and the zone\'s SOA', () => {
    expect(answered(ask('20.0.96.10.in-addr.arpa', TYPE.PTR)).answers.map((r) => r.data)).to.deep.equal(['web.default.svc.cluster.local']);
    expect(answered(ask('10-244-1-5.default.pod.cluster.local', TYPE.A)).answers.map((r) => r.data)).to.deep.equal(['10.244.1.5']);
    expect(answered(ask('10-244-1-500.default.pod.cluster.local', TYPE.A)).rcode).to.equal(RCODE.NXDOMAIN);
    expect(answered(ask('dns-version.cluster.local', TYPE.TXT)).answers.map((r) => r.data)).to.deep.equal(['1.0.1']);
    expect(answered(ask('cluster.local', TYPE.SOA)).answers.map((r) => r.data)).to.deep.equal(['ns.dns.cluster.local']);
  });

  it('forwards names outside the cluster domain and reverse names of addresses it does not know', () => {
    expect(ask('example.com', TYPE.A)).to.equal('forward');
    expect(ask('cluster.local.example.com', TYPE.A)).to.equal('forward');
    expect(ask('1.1.168.192.in-addr.arpa', TYPE.PTR)).to.equal('forward');
  });

  it('sends a UDP answer too large for the client truncated (TC, no records), and whole over TCP', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ ip: `10.244.9.${i + 1}` }));
    cache.upsert(service('big', { clusterIP: 'None' }));
    cache.upsert(slice('big', 'big-1', [], many));
    const udp = answered(ask('big.default.svc.cluster.local', TYPE.A));
    expect(udp).to.deep.include({ tc: true, rcode: RCODE.NOERROR });
    expect(udp.answers).to.deep.equal([]);
    expect(answered(ask('big.default.svc.cluster.local', TYPE.A, { edns: 1232 })).answers).to.have.length(60);
    expect(answered(ask('big.default.svc.cluster.local', TYPE.A, { tcp: true })).answers).to.have.length(60);
  });

  it('refuses other classes and zone transfers inside the cluster domain, and answers an unknown EDNS version with BADVERS', () => {
    expect(answered(ask('web.default.svc.cluster.local', TYPE.A, { qclass: 3 })).rcode).to.equal(RCODE.REFUSED);
    expect(answered(ask('cluster.local', 252)).rcode).to.equal(RCODE.REFUSED);
    const badvers = answered(ask('web.default.svc.cluster.local', TYPE.A, { edns: 1232, ednsVersion: 1 }));
    expect(badvers.answers).to.deep.equal([]);
    // BADVERS (16) is the OPT record's extended code 1 over a header code of 0.
    expect(badvers.rcode).to.equal(0);
    expect(badvers.additional.map((r) => [r.type, (r.ttl >>> 24) & 0xff])).to.deep.equal([[41, 1]]);
  });
});
