import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Node } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import type { Service } from '../../proto/objects/service.js';
import { berth } from '../support/cli.js';
import { apply, getJson, isRunning, nodeOf, pods, run, useSharedCluster, waitFor } from '../support/e2e-cluster.js';
import { restartAgent, type LocalClusterHandle } from '../support/local-cluster.js';
import {
  clientPod,
  dnsOnlyOver,
  endpointsOf,
  fetchMany,
  hostVeth,
  inPod,
  netnsNames,
  nftTable,
  nodeLinks,
  nodeRoutes,
  podNetns,
  podsNamed,
  readyEndpoints,
} from '../support/service-e2e.js';

/**
 * Three busybox web servers answering their own pod name on the container port named `http`,
 * ready while /www/healthz exists, behind a ClusterIP, a headless and a NodePort Service.
 */
const WEB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox:1.35
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && touch /www/healthz && exec httpd -f -p 8080 -h /www"]
        ports:
        - name: http
          containerPort: 8080
        readinessProbe:
          httpGet:
            path: /healthz
            port: http
          periodSeconds: 1
          failureThreshold: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: http
---
apiVersion: v1
kind: Service
metadata:
  name: web-headless
spec:
  clusterIP: None
  selector:
    app: web
  ports:
  - port: 80
    targetPort: http
---
apiVersion: v1
kind: Service
metadata:
  name: web-nodeport
spec:
  type: NodePort
  selector:
    app: web
  ports:
  - port: 80
    targetPort: http
`;
const SERVICES = ['web', 'web-headless', 'web-nodeport'];
const clientName = (node: string) => `svc-client-${node}`;
const ipOf = (p: Pod) => p.status?.podIP ?? '';
const namesOf = (ps: Pod[]) => ps.map((p) => p.metadata.name).sort();
const ipsOf = (ps: Pod[]) => ps.map(ipOf).sort();
const isReady = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
/** The IPv4 answers of busybox nslookup (the server's own line has its port, `a.b.c.d:53`). */
const nslookupAddresses = (out: string) => [...out.matchAll(/^Address:\s+(\d+\.\d+\.\d+\.\d+)$/gm)].map((m) => m[1] ?? '').sort();
/** A listing's lines, for diffs that show the line that differs. */
const lines = (text: string) => text.trim().split('\n');
/** nft's listing without its `# handle N` comments. */
const withoutHandles = (listing: string) => listing.replace(/ # handle \d+/g, '');
/** Matches an IPv4 address exactly (10.244.0.2 never inside 10.244.0.21). */
const exactly = (ip: string) => new RegExp(`(?<![\\d.])${ip.replace(/\./g, '\\.')}(?![\\d])`);

describe('e2e: Services, the service proxy and DNS', function () {
  this.timeout(240_000);
  let cluster: LocalClusterHandle;
  let clients: Pod[] = [];

  useSharedCluster((c) => (cluster = c), async (c) => {
    await run(c, ['delete', 'deployment', 'web', '--ignore-not-found']);
    await run(c, ['delete', 'service', ...SERVICES, '--ignore-not-found']);
    await run(c, ['delete', 'pod', ...c.nodes.map((n) => clientName(n.name)), '--ignore-not-found']);
    await waitFor(async () => expect([...(await pods(c, 'app=web')), ...(await pods(c, 'role=service-client'))]).to.deep.equal([]), 60_000);
  });


  /** The web pods once `count` of them run Ready with an IP and none is going away. */
  async function webPods(count: number): Promise<Pod[]> {
    return waitFor(async () => {
      const items = (await pods(cluster, 'app=web')).filter((p) => p.metadata.deletionTimestamp === undefined);
      expect(items).to.have.length(count);
      for (const p of items) expect(isRunning(p) && isReady(p) && ipOf(p), p.metadata.name).to.be.a('string');
      return items;
    }, 90_000);
  }

  /** Waits until the Service's ready endpoints are exactly these pods' IPs. */
  async function endpointsAre(service: string, ps: Pod[]): Promise<void> {
    await waitFor(async () => expect(await readyEndpoints(cluster, service)).to.deep.equal(ipsOf(ps)));
  }

  it('a Deployment of 3 busybox httpd behind a Service answers by short and full name from a pod on each node, over UDP and TCP DNS, spread over every replica', async () => {
    await apply(cluster, WEB);
    await apply(cluster, cluster.nodes.map((n) => clientPod(clientName(n.name), n.name)).join('---\n'));
    const web = await webPods(3);
    clients = await waitFor(async () => {
      const items = await podsNamed(cluster, cluster.nodes.map((n) => clientName(n.name)));
      for (const p of items) expect(isRunning(p), p.metadata.name).to.equal(true);
      return items;
    }, 90_000);
    await endpointsAre('web', web);
    for (const client of clients) {
      for (const proto of ['udp', 'tcp'] as const) {
        // glibc's resolver (in busybox's wget) asks over TCP only with use-vc; the other protocol's port 53 is dropped meanwhile.
        const env = proto === 'tcp' ? 'RES_OPTIONS=use-vc' : '';
        const [short, full] = await dnsOnlyOver(nodeOf(cluster, client), client, proto, async () => [
          await fetchMany(cluster, client.metadata.name, 'http://web', 30, env),
          await fetchMany(cluster, client.metadata.name, 'http://web.default.svc.cluster.local', 3, env),
        ]);
        const where = `from ${client.spec.nodeName} over ${proto}`;
        expect([...new Set(short)].sort(), where).to.deep.equal(namesOf(web));
        for (const answer of full ?? []) expect(namesOf(web), where).to.include(answer);
      }
    }
  });

  it("a headless Service resolves to the pods' IPs; an unknown name in the cluster domain gets NXDOMAIN", async () => {
    const web = await webPods(3);
    const client = clients[0]!.metadata.name;
    expect(nslookupAddresses(await inPod(cluster, client, 'nslookup web-headless.default.svc.cluster.local'))).to.deep.equal(ipsOf(web));
    const unknown = await berth(cluster.server, ['exec', client, '--', 'nslookup', 'nosuch.default.svc.cluster.local'], undefined, cluster.env);
    expect(unknown.code).to.equal(1);
    expect(unknown.stdout).to.contain("server can't find nosuch.default.svc.cluster.local: NXDOMAIN");
  });

  it("a NodePort Service answers on every node's address, from the host on the lab bridge", async () => {
    const web = await webPods(3);
    const nodePort = (await getJson<Service>(cluster, ['service', 'web-nodeport'])).spec.ports?.[0]?.nodePort;
    expect(nodePort).to.be.within(30000, 32767);
    for (const n of cluster.nodes) {
      for (let i = 0; i < 3; i++) {
        const answer = await fetch(`http://${n.ip}:${nodePort}/`, { signal: AbortSignal.timeout(5000) });
        expect(namesOf(web), n.name).to.include((await answer.text()).trim());
      }
    }
  });

  it('scaling changes the endpoints and where requests go', async () => {
    const client = clients[0]!.metadata.name;
    await run(cluster, ['scale', 'deployment', 'web', '--replicas', '5']);
    const five = await webPods(5);
    await endpointsAre('web', five);
    await waitFor(async () => expect([...new Set(await fetchMany(cluster, client, 'http://web', 30))].sort()).to.deep.equal(namesOf(five)), 60_000);

    await run(cluster, ['scale', 'deployment', 'web', '--replicas', '2']);
    const two = await webPods(2);
    await endpointsAre('web', two);
    // Pods that are going away take no new request, and none fails.
    expect([...new Set(await fetchMany(cluster, client, 'http://web', 20))].sort()).to.deep.equal(namesOf(two));

    await run(cluster, ['scale', 'deployment', 'web', '--replicas', '3']);
    await endpointsAre('web', await webPods(3));
  });

  it('a pod whose readiness probe fails leaves the endpoints, and comes back when it passes', async () => {
    const web = await webPods(3);
    const client = clients[0]!.metadata.name;
    const [victim, ...others] = web as [Pod, ...Pod[]];
    await inPod(cluster, victim.metadata.name, 'rm /www/healthz');
    await waitFor(async () => expect(await endpointsOf(cluster, 'web')).to.deep.equal(Object.fromEntries([...web.map((p) => [ipOf(p), p !== victim])])));
    expect([...new Set(await fetchMany(cluster, client, 'http://web', 20))].sort()).to.deep.equal(namesOf(others));
    expect(nslookupAddresses(await inPod(cluster, client, 'nslookup web-headless.default.svc.cluster.local'))).to.deep.equal(ipsOf(others));

    await inPod(cluster, victim.metadata.name, 'touch /www/healthz');
    await endpointsAre('web', web);
    await waitFor(async () => expect(await fetchMany(cluster, client, 'http://web', 20)).to.include(victim.metadata.name));
  });

  it("an agent restart keeps every pod's IP and every rule, and traffic still flows", async () => {
    const before = Object.fromEntries([...(await webPods(3)), ...clients].map((p) => [p.metadata.name, ipOf(p)]));
    // The proxy's rules are kept as they are (same handles); the masquerade table is Berth's to replace whole, so its rules are compared without handles.
    const tables = async () =>
      Object.fromEntries(
        await Promise.all(
          cluster.nodes.map(async (n) => [n.name, { proxy: lines(await nftTable(n, 'berth-proxy')), nat: lines(withoutHandles(await nftTable(n, 'berth-nat'))), routes: lines(await nodeRoutes(n)) }] as const),
        ),
      );
    const rules = await tables();
    // One node after the other, as an operator rolls agents: each is Ready again before the next stops.
    for (const n of cluster.nodes) {
      const registered = registrations(n.root);
      await restartAgent(cluster, n.name);
      await waitFor(async () => {
        expect(registrations(n.root), n.name).to.be.greaterThan(registered);
        const node = await getJson<Node>(cluster, ['node', n.name]);
        expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, n.name).to.equal('True');
      }, 60_000);
    }
    const after = await podsNamed(cluster, Object.keys(before));
    expect(Object.fromEntries(after.map((p) => [p.metadata.name, ipOf(p)]))).to.deep.equal(before);
    const now = await tables();
    for (const n of cluster.nodes) {
      for (const what of ['proxy', 'nat', 'routes'] as const) expect(now[n.name]?.[what], `${what} on ${n.name}`).to.deep.equal(rules[n.name]?.[what]);
    }
    const web = await webPods(3);
    for (const client of clients) expect([...new Set(await fetchMany(cluster, client.metadata.name, 'http://web', 30))].sort(), client.spec.nodeName).to.deep.equal(namesOf(web));
  });

  it('after berth delete of everything, no IP, veth, namespace, route or nftables rule of those pods and Services is left on any node', async () => {
    const all = [...(await webPods(3)), ...clients];
    const traces = await Promise.all(all.map(async (p) => ({ pod: p, node: nodeOf(cluster, p), netns: podNetns(nodeOf(cluster, p), p), veth: await hostVeth(nodeOf(cluster, p), p) })));
    for (const t of traces) expect(t.veth, t.pod.metadata.name).to.not.equal('');
    const services = await Promise.all(SERVICES.map((s) => getJson<Service>(cluster, ['service', s])));
    const clusterIPs = services.map((s) => s.spec.clusterIP ?? '').filter((ip) => ip !== '' && ip !== 'None');
    const nodePort = String(services[2]?.spec.ports?.[0]?.nodePort);
    expect(clusterIPs).to.have.length(2);

    await run(cluster, ['delete', 'deployment', 'web']);
    await run(cluster, ['delete', 'service', ...SERVICES]);
    await run(cluster, ['delete', 'pod', ...clients.map((p) => p.metadata.name)]);
    await waitFor(async () => {
      expect([...(await pods(cluster, 'app=web')), ...(await pods(cluster, 'role=service-client'))]).to.deep.equal([]);
      const namespaces = await netnsNames();
      for (const t of traces) {
        const where = `${t.pod.metadata.name} on ${t.node.name}`;
        expect(namespaces, where).to.not.include(t.netns);
        expect(await nodeLinks(t.node), where).to.not.include(t.veth);
      }
      for (const n of cluster.nodes) {
        const routes = await nodeRoutes(n);
        const nft = `${await nftTable(n, 'berth-proxy')}${await nftTable(n, 'berth-nat')}`;
        for (const ip of [...all.map(ipOf), ...clusterIPs]) {
          expect(routes, `${n.name} routes`).to.not.match(exactly(ip));
          expect(nft, `${n.name} nftables`).to.not.match(exactly(ip));
        }
        expect(nft, `${n.name} nftables`).to.not.match(new RegExp(`\\b${nodePort}\\b|default/web`));
      }
    }, 60_000);
    for (const t of traces) expect(leaseHeld(t.node.root, ipOf(t.pod)), `${t.pod.metadata.name}'s address lease`).to.equal(false);
  });
});

/** How often a node's agent has registered, from its log. */
function registrations(root: string): number {
  return readFileSync(join(root, 'agent.log'), 'utf8').split('node registered').length - 1;
}

/** Whether host-local still holds a lease on the address in the node's IPAM state. */
function leaseHeld(root: string, ip: string): boolean {
  return existsSync(join(root, 'network', 'ipam', 'berth', ip));
}
