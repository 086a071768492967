import { expect } from 'chai';
import { randomInt } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterZone } from '../../../node-agent/dns/cluster-zone.js';
import { DnsServer } from '../../../node-agent/dns/dns-server.js';
import { Forwarder } from '../../../node-agent/dns/forwarder.js';
import { clusterFirstResolvConf, formatResolvConf } from '../../../node-agent/dns/resolv-conf.js';
import { RCODE, TYPE } from '../../../node-agent/dns/wire.js';
import { feedZone } from '../../../node-agent/dns/zone-feed.js';
import { ServiceCache } from '../../../node-agent/services/service-cache.js';
import { decodeAnswer, encodeQuery, tcpExchange, udpExchange } from '../../support/dns-client.js';
import { silentLogger } from '../../support/logger.js';
import { NetnsLab, run, waitForLine } from '../../support/netns-lab.js';
import { service, slice } from '../../support/service-objects.js';
import { eventually } from '../../support/wait.js';

const tools = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'support', 'net-tools');

/**
 * The node's DNS server over real sockets: it listens on the host end of a veth pair into a
 * "client" namespace made by the test (10.199.N.1), where the clients run (busybox nslookup, and
 * glibc through a pod's resolv.conf) and where a fake upstream resolver answers on 10.199.N.3.
 */
describe('node DNS server (UDP and TCP, forwarding)', function () {
  this.timeout(60_000);
  const lab = new NetnsLab();
  const subnet = `10.199.${randomInt(0, 256)}`;
  const server = `${subnet}.1`;
  let hostIf = '';
  let client = '';
  let dns: DnsServer;
  const cache = new ServiceCache();

  const udp = async (name: string, type: number, options: Parameters<typeof encodeQuery>[2] = {}) => {
    const raw = await udpExchange(server, 53, encodeQuery(name, type, options));
    if (!raw) throw new Error(`no UDP answer for ${name}`);
    return decodeAnswer(raw);
  };

  before(async () => {
    client = await lab.namespace('client');
    hostIf = await lab.hostLink(client, 0, `${server}/24`, `${subnet}.2/24`);
    await lab.exec(client, ['ip', 'addr', 'add', `${subnet}.3/24`, 'dev', 'eth0']);
    await waitForLine(lab.spawn(client, [process.execPath, join(tools, 'fake-upstream.js'), `${subnet}.3`]));
    const zone = new ClusterZone('cluster.local');
    feedZone(cache, zone);
    cache.upsert(service('web', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
    cache.upsert(service('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }));
    cache.upsert(slice('db', 'db-1', [{ name: 'pg', port: 5432 }], [{ ip: '10.244.1.7' }, { ip: '10.244.2.8' }]));
    dns = new DnsServer({ address: server, port: 53, zone, forwarder: new Forwarder([{ address: `${subnet}.3`, port: 53 }], { timeoutMs: 500, maxPending: 1024 }), logger: silentLogger() });
    await dns.start();
  });

  after(async () => {
    dns?.stop();
    await lab.dispose();
  });

  it('answers over UDP, and busybox nslookup in another namespace gets the ClusterIP and a headless Service\'s pod IPs', async () => {
    expect((await udp('web.default.svc.cluster.local', TYPE.A)).answers.map((r) => r.data)).to.deep.equal(['10.96.0.20']);
    const out = await lab.exec(client, ['busybox', 'nslookup', 'web.default.svc.cluster.local', server]);
    expect(out).to.contain('10.96.0.20');
    const headless = await lab.exec(client, ['busybox', 'nslookup', 'db.default.svc.cluster.local', server]);
    expect(headless).to.contain('10.244.1.7').and.to.contain('10.244.2.8');
  });

  it('answers several queries sent at once on one TCP connection', async () => {
    const { answers } = await tcpExchange(server, 53, [encodeQuery('web.default.svc.cluster.local', TYPE.A, { id: 1 }), encodeQuery('_http._tcp.web.default.svc.cluster.local', TYPE.SRV, { id: 2 }), encodeQuery('nope.default.svc.cluster.local', TYPE.A, { id: 3 })]);
    const byId = new Map(answers.map((a) => decodeAnswer(a)).map((a) => [a.id, a]));
    expect(byId.get(1)?.answers.map((r) => r.data)).to.deep.equal(['10.96.0.20']);
    expect(byId.get(2)?.answers.map((r) => r.data)).to.deep.equal(['0 100 80 web.default.svc.cluster.local']);
    expect(byId.get(3)?.rcode).to.equal(RCODE.NXDOMAIN);
  });

  it('forwards other names to the upstream and passes its answers back; an upstream that stays silent gives SERVFAIL', async () => {
    const a = await udp('www.example.test', TYPE.A, { id: 777 });
    expect(a).to.deep.include({ id: 777, rcode: RCODE.NOERROR, aa: false });
    expect(a.answers.map((r) => r.data)).to.deep.equal(['192.0.2.1']);
    expect((await udp('nothing.example.test', TYPE.A)).rcode).to.equal(RCODE.NXDOMAIN);
    expect((await udp('slow.example.test', TYPE.A)).rcode).to.equal(RCODE.SERVFAIL);
    const { answers } = await tcpExchange(server, 53, [encodeQuery('www.example.test', TYPE.A, { id: 9 })]);
    expect(decodeAnswer(answers[0]!).answers.map((r) => r.data)).to.deep.equal(['192.0.2.1']);
  });

  it('passes a truncated upstream answer on over UDP, and over TCP asks the upstream again over TCP for the whole of it', async () => {
    const truncated = await udp('big.example.test', TYPE.A);
    expect(truncated.tc).to.equal(true);
    const { answers } = await tcpExchange(server, 53, [encodeQuery('big.example.test', TYPE.A)]);
    expect(decodeAnswer(answers[0]!).answers).to.have.length(100);
  });

  it('resolves short names through a pod\'s resolv.conf (search path, ndots:5) with glibc, in-cluster and forwarded', async () => {
    await lab.resolvConf(client, formatResolvConf(clusterFirstResolvConf('default', 'cluster.local', server, { nameservers: [], searches: [], options: [] })));
    expect(await lab.netnsExec(client, ['getent', 'hosts', 'web'])).to.match(/^10\.96\.0\.20\s+web\.default\.svc\.cluster\.local/);
    expect(await lab.netnsExec(client, ['getent', 'hosts', 'web.default'])).to.match(/^10\.96\.0\.20\s/);
    expect(await lab.netnsExec(client, ['getent', 'hosts', 'www.example.test'])).to.match(/^192\.0\.2\.1\s/);
    await lab.netnsExec(client, ['getent', 'hosts', 'missing']).then(
      () => expect.fail('an unknown short name resolved'),
      (err: Error) => expect(err.message).to.contain('getent hosts missing failed'),
    );
  });

  it('survives hostile packets: garbage is dropped or gets a bare FORMERR header, answers are never answered, bad TCP framing closes only that connection', async () => {
    const garbage = [Buffer.alloc(3), Buffer.from('not dns at all, just bytes'), Buffer.concat([encodeQuery('web.default.svc.cluster.local', TYPE.A), Buffer.alloc(600)])];
    for (const g of garbage) {
      const reply = await udpExchange(server, 53, g, 300);
      if (reply) expect(reply.length).to.be.at.most(g.length);
    }
    const response = encodeQuery('web.default.svc.cluster.local', TYPE.A);
    response[2] = 0x81;
    expect(await udpExchange(server, 53, response, 300)).to.equal(undefined);
    const formerr = await udpExchange(server, 53, Buffer.concat([encodeQuery('a.b', TYPE.A), Buffer.from([1])]));
    expect(formerr && decodeAnswer(formerr).rcode).to.equal(RCODE.FORMERR);
    const broken = await tcpExchange(server, 53, [Buffer.alloc(3)], 1, 2_000);
    expect(broken.closed).to.equal(true);
    expect((await udp('web.default.svc.cluster.local', TYPE.A)).answers).to.have.length(1);
  });

  it('starts listening once its address appears on the node (the pod bridge comes with the first pod)', async () => {
    const later = `${subnet}.4`;
    const zone = new ClusterZone('cluster.local');
    feedZone(cache, zone);
    const waiting = new DnsServer({ address: later, port: 53, zone, logger: silentLogger() });
    try {
      expect(await waiting.listen(100)).to.equal(false);
      await run('ip', ['addr', 'add', `${later}/24`, 'dev', hostIf]);
      await eventually(() => expect(waiting.listening).to.equal(true));
      const raw = await udpExchange(later, 53, encodeQuery('web.default.svc.cluster.local', TYPE.A));
      expect(raw && decodeAnswer(raw).answers.map((r) => r.data)).to.deep.equal(['10.96.0.20']);
    } finally {
      waiting.stop();
    }
  });
});
