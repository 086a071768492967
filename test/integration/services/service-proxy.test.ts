import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandConntrack } from '../../../node-agent/services/conntrack.js';
import { CommandNft } from '../../../node-agent/services/nft-runner.js';
import { ServiceCache } from '../../../node-agent/services/service-cache.js';
import { ServiceProxy, type SyncReport } from '../../../node-agent/services/service-proxy.js';
import { silentLogger } from '../../support/logger.js';
import { NetnsLab, waitForLine } from '../../support/netns-lab.js';
import { service, slice } from '../../support/service-objects.js';
import { eventually } from '../../support/wait.js';

const tools = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'support', 'net-tools');

/**
 * The service proxy against the real nft in a node made of network namespaces: a "node" with a
 * pod bridge (10.250.0.1/24) and an uplink (10.251.0.1/24) to a "client" outside, two pods on
 * the bridge each running a TCP (8080) and UDP (5353) server that answers with its name and the
 * peer address it saw. Traffic goes through the ClusterIP, NodePort and LoadBalancer ingress.
 */
describe('service proxy (nftables in a network namespace)', function () {
  this.timeout(120_000);
  const lab = new NetnsLab();
  let node = '';
  let client = '';
  const pods: Record<string, string> = {};
  const cache = new ServiceCache();
  const reports: SyncReport[] = [];
  let proxy: ServiceProxy;
  const clusterIP = '10.96.77.10';

  const web = (type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' = 'ClusterIP') =>
    service(
      'web',
      {
        type,
        clusterIP,
        ports: [
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', ...(type === 'ClusterIP' ? {} : { nodePort: 30080 }) },
          { name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP', ...(type === 'ClusterIP' ? {} : { nodePort: 30053 }) },
        ],
      },
      'default',
      type === 'LoadBalancer' ? { loadBalancer: { ingress: [{ ip: '10.251.0.1' }] } } : undefined,
    );
  const webSlice = (ips: Array<{ ip: string; ready?: boolean; serving?: boolean; terminating?: boolean }>) =>
    slice('web', 'web-abc', [{ name: 'http', port: 8080 }, { name: 'dns', protocol: 'UDP', port: 5353 }], ips);

  /** Runs the client inside `ns` and returns its answer lines. */
  async function ask(ns: string, proto: 'tcp' | 'udp', host: string, port: number, count = 1, localPort?: number): Promise<string[]> {
    const out = await lab.exec(ns, [process.execPath, join(tools, 'echo-client.js'), proto, host, String(port), String(count), ...(localPort ? [String(localPort)] : [])], 60_000);
    return out.trim().split('\n');
  }
  const table = () => lab.exec(node, ['nft', 'list', 'table', 'ip', 'berth-proxy']);

  before(async () => {
    node = await lab.namespace('node', { forwarding: true });
    client = await lab.namespace('client');
    await lab.bridge(node, 'cni0', '10.250.0.1/24');
    await lab.link(node, 'uplink', '10.251.0.1/24', client, 'eth0', '10.251.0.2/24');
    await lab.exec(node, ['ip', 'route', 'add', 'default', 'via', '10.251.0.2']);
    for (const [name, ip] of [['pod1', '10.250.0.2'], ['pod2', '10.250.0.3']] as const) {
      pods[name] = await lab.pod(name, node, 'cni0', `${ip}/24`, '10.250.0.1');
      await waitForLine(lab.spawn(pods[name], [process.execPath, join(tools, 'echo-server.js'), name, '8080', '5353']));
    }
    proxy = new ServiceProxy(cache, new CommandNft({ netns: lab.path(node) }), silentLogger(), (r) => reports.push(r), new CommandConntrack({ netns: lab.path(node) }));
    proxy.start();
    cache.upsert(web());
    cache.upsert(webSlice([{ ip: '10.250.0.2' }, { ip: '10.250.0.3' }]));
    cache.listed(new Set(['Service/default/web', 'EndpointSlice/default/web-abc']));
  });

  after(async () => {
    proxy?.stop();
    await lab.dispose();
  });

  it('spreads TCP connections to the ClusterIP over the ready endpoints, keeping the client pod\'s address', async () => {
    await eventually(async () => expect(await ask(pods['pod1']!, 'tcp', clusterIP, 80)).to.have.length(1));
    const answers = await ask(pods['pod1']!, 'tcp', clusterIP, 80, 30);
    expect(new Set(answers.map((a) => a.split(' ')[0]))).to.deep.equal(new Set(['pod1', 'pod2']));
    // pod2 sees pod1 itself; pod1 reaching itself (hairpin) sees the bridge's address: masqueraded, or its replies would never come back.
    expect(answers.filter((a) => a.startsWith('pod2'))[0]).to.equal('pod2 10.250.0.2');
    expect(answers.filter((a) => a.startsWith('pod1'))[0]).to.equal('pod1 10.250.0.1');
  });

  it('carries UDP to the ClusterIP, and the node itself reaches the ClusterIP too', async () => {
    const answers = await ask(pods['pod2']!, 'udp', clusterIP, 53, 20);
    expect(new Set(answers.map((a) => a.split(' ')[0]))).to.deep.equal(new Set(['pod1', 'pod2']));
    const fromNode = await ask(node, 'tcp', clusterIP, 80, 4);
    expect(fromNode.every((a) => /^pod[12] /.test(a))).to.equal(true, fromNode.join('; '));
  });

  it('answers a NodePort on the node\'s addresses, from outside and from a pod', async () => {
    cache.upsert(web('NodePort'));
    await eventually(async () => expect((await ask(client, 'tcp', '10.251.0.1', 30080))[0]).to.match(/^pod[12] /));
    // Masqueraded: the pod sees the node, so its replies go back through the node's conntrack.
    const fromOutside = await ask(client, 'tcp', '10.251.0.1', 30080, 10);
    expect(fromOutside.every((a) => /^pod[12] 10\.250\.0\.1$/.test(a))).to.equal(true, fromOutside.join('; '));
    expect((await ask(client, 'udp', '10.251.0.1', 30053))[0]).to.match(/^pod[12] /);
    expect((await ask(pods['pod1']!, 'tcp', '10.250.0.1', 30080))[0]).to.match(/^pod[12] /);
  });

  it('answers a LoadBalancer Service on its ingress IP at the Service port', async () => {
    cache.upsert(web('LoadBalancer'));
    await eventually(async () => expect((await ask(client, 'tcp', '10.251.0.1', 80))[0]).to.match(/^pod[12] /));
    expect((await ask(client, 'tcp', '10.251.0.1', 30080))[0]).to.match(/^pod[12] /);
  });

  it('follows endpoint changes: a removed endpoint gets no new connection and leaves no rule behind', async () => {
    cache.upsert(web());
    cache.upsert(webSlice([{ ip: '10.250.0.3' }]));
    await eventually(async () => expect(await table()).to.not.contain('10.250.0.2'));
    const answers = await ask(pods['pod1']!, 'tcp', clusterIP, 80, 10);
    expect(new Set(answers.map((a) => a.split(' ')[0]))).to.deep.equal(new Set(['pod2']));
    expect(await table()).to.not.contain('30080');
  });

  it('moves a UDP flow off an endpoint that goes (its conntrack entry is deleted), instead of sending it there until it idles out', async () => {
    cache.upsert(webSlice([{ ip: '10.250.0.2' }]));
    await eventually(async () => expect(await ask(pods['pod2']!, 'udp', clusterIP, 53, 1, 40_053)).to.deep.equal(['pod1 10.250.0.3']));
    cache.upsert(webSlice([{ ip: '10.250.0.3' }]));
    // Same source port, same flow: without the deletion its entry would keep it on pod1 (which still answers) for 30 s.
    await eventually(async () => expect(await ask(pods['pod2']!, 'udp', clusterIP, 53, 1, 40_053)).to.deep.equal(['pod2 10.250.0.1']), 5_000);
  });

  it('uses serving terminating endpoints only while no endpoint is ready, and refuses connections when there is none', async () => {
    cache.upsert(webSlice([{ ip: '10.250.0.2', ready: false, serving: true, terminating: true }, { ip: '10.250.0.3', ready: false, serving: false }]));
    await eventually(async () => expect(new Set(await ask(pods['pod2']!, 'tcp', clusterIP, 80, 6))).to.deep.equal(new Set(['pod1 10.250.0.3'])));
    cache.upsert(webSlice([{ ip: '10.250.0.3', ready: false, serving: false }]));
    // Refused at once (rejected), not left to time out.
    await eventually(async () => expect(await ask(pods['pod2']!, 'tcp', clusterIP, 80)).to.deep.equal(['error ECONNREFUSED']));
    expect(await ask(pods['pod2']!, 'udp', clusterIP, 53)).to.deep.equal(['error ECONNREFUSED']);
  });

  it('reconciles the table left by an earlier agent without rewriting what is right, and removes what is gone', async () => {
    cache.upsert(webSlice([{ ip: '10.250.0.2' }, { ip: '10.250.0.3' }]));
    cache.upsert(service('other', { clusterIP: '10.96.77.11', ports: [{ port: 81, protocol: 'TCP' }] }));
    cache.upsert(slice('other', 'other-abc', [{ port: 8080 }], [{ ip: '10.250.0.3' }]));
    await eventually(async () => expect(await table()).to.contain('10.96.77.11'));
    proxy.stop();
    // The agent is away: one Service goes, the other loses an endpoint.
    cache.remove(service('other', {}));
    cache.remove(slice('other', 'other-abc', [], []));
    cache.upsert(webSlice([{ ip: '10.250.0.3' }]));
    const restarted: SyncReport[] = [];
    proxy = new ServiceProxy(cache, new CommandNft({ netns: lab.path(node) }), silentLogger(), (r) => restarted.push(r));
    proxy.start();
    await eventually(() => expect(restarted).to.have.length(1));
    const listing = await table();
    expect(listing).to.not.contain('10.96.77.11');
    expect(listing).to.not.contain('other');
    expect(new Set(await ask(pods['pod1']!, 'tcp', clusterIP, 80, 6))).to.deep.equal(new Set(['pod2 10.250.0.2']));
    // The skeleton and the unchanged chains were left alone: a second restart changes nothing at all.
    proxy.stop();
    const again: SyncReport[] = [];
    proxy = new ServiceProxy(cache, new CommandNft({ netns: lab.path(node) }), silentLogger(), (r) => again.push(r));
    proxy.start();
    await eventually(() => expect(again).to.have.length(1));
    expect(again[0]!.commands).to.equal(0);
  });

  it('leaves only the empty skeleton once every Service is gone', async () => {
    cache.remove(web());
    cache.remove(webSlice([]));
    await eventually(async () => expect(await table()).to.not.contain('svc-'));
    const listing = await table();
    expect(listing).to.not.contain('10.96.77.10');
    expect(listing).to.not.contain('10.250.0.');
  });
});
