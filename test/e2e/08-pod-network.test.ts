import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Node } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import { nodeContainers, restartAgent, startAgent, stopAgent, type LocalClusterHandle, type LocalClusterNode } from '../support/local-cluster.js';
import { apply, getJson, hostPid, isRunning, nodeOf, pods, run, useSharedCluster, waitFor } from '../support/e2e-cluster.js';

const sh = promisify(execFile);

/** A Deployment of busybox web servers whose /cgi-bin/caller answers the caller's address, one per node. */
const WEB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: netweb
spec:
  replicas: 3
  selector:
    matchLabels:
      app: netweb
  template:
    metadata:
      labels:
        app: netweb
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox:1.35
        command:
        - sh
        - -c
        - |
          mkdir -p /www/cgi-bin
          printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho "$REMOTE_ADDR"\\n' > /www/cgi-bin/caller
          chmod +x /www/cgi-bin/caller
          exec httpd -f -p 0.0.0.0:8080 -h /www
`;

/** inPod runs a busybox applet inside a pod: in its container's network and mount namespaces, with the image's busybox. */
async function inPod(cluster: LocalClusterHandle, p: Pod, args: string[]): Promise<string> {
  const { stdout } = await sh('nsenter', ['-t', String(hostPid(cluster, p)), '-n', '-m', '--', '/bin/busybox', ...args], { timeout: 20_000 });
  return stdout;
}

/** What a user sees of the pods' addresses: name → [IP, node], from `berth get pods -o wide`. */
async function wideIPs(cluster: LocalClusterHandle): Promise<Record<string, [string, string]>> {
  const out = (await run(cluster, ['get', 'pods', '-l', 'app=netweb', '-o', 'wide'])).stdout;
  const [header, ...lines] = out.trim().split('\n');
  const cols = (header ?? '').split(/\s{2,}/);
  const ipAt = cols.indexOf('IP');
  const nodeAt = cols.indexOf('NODE');
  return Object.fromEntries(lines.map((l) => l.split(/\s{2,}/)).map((c) => [c[0] ?? '', [c[ipAt] ?? '', c[nodeAt] ?? '']]));
}

async function webPods(cluster: LocalClusterHandle): Promise<Pod[]> {
  return waitFor(async () => {
    const items = await pods(cluster, 'app=netweb');
    expect(items).to.have.length(3);
    for (const p of items) expect(isRunning(p) && p.status?.podIP, p.metadata.name).to.be.a('string');
    return items;
  }, 60_000);
}

/** Berth's routes in a node's network namespace: pod CIDR → gateway. */
async function nodeRoutes(node: LocalClusterNode): Promise<Record<string, string>> {
  const { stdout } = await sh('ip', ['-n', node.netns, '-j', '-4', 'route', 'show', 'proto', '190']);
  return Object.fromEntries((JSON.parse(stdout) as Array<{ dst: string; gateway: string }>).map((r) => [r.dst, r.gateway]));
}

/** What of the pod network a node holds for a pod: its veth (the host end, in the node's namespace), its address's lease, its sandbox's record and namespace. */
interface PodNetworkTraces {
  veth: string;
  lease: string;
  record: string;
  netns: string;
}

/** sandboxOf is the record file of the pod's sandbox on its node (the one naming the pod; a pool sandbox has an id of its own) and the sandbox's namespace. */
function sandboxOf(node: LocalClusterNode, p: Pod): { record: string; netns: string } {
  const dir = join(node.root, 'network', 'pods');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.'))) {
    const record = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { podUid?: string; attachment: { netns: string } };
    if (record.podUid === p.metadata.uid) return { record: file, netns: basename(record.attachment.netns) };
  }
  throw new Error(`no sandbox record names pod ${p.metadata.name} (${p.metadata.uid ?? ''}) on ${node.name}`);
}

/** hostVeth is the name of the pod's veth in its node's namespace: the peer of the pod's eth0. */
async function hostVeth(cluster: LocalClusterHandle, p: Pod): Promise<string> {
  const inPodNetns = await sh('nsenter', ['-t', String(hostPid(cluster, p)), '-n', '--', 'ip', '-j', 'link', 'show', 'dev', 'eth0']);
  const [eth0] = JSON.parse(inPodNetns.stdout) as Array<{ link_index: number }>;
  const { stdout } = await sh('ip', ['-n', nodeOf(cluster, p).netns, '-j', 'link', 'show']);
  return (JSON.parse(stdout) as Array<{ ifindex: number; ifname: string }>).find((l) => l.ifindex === eth0?.link_index)?.ifname ?? '';
}

/** Which of a pod's traces are still on its node. */
async function tracesLeft(node: LocalClusterNode, traces: PodNetworkTraces): Promise<string[]> {
  const { stdout } = await sh('ip', ['-n', node.netns, '-j', 'link', 'show']);
  const links = (JSON.parse(stdout) as Array<{ ifname: string }>).map((l) => l.ifname);
  return [
    ...(links.includes(traces.veth) ? [`veth ${traces.veth}`] : []),
    ...(existsSync(join(node.root, 'network', 'ipam', 'berth', traces.lease)) ? [`lease ${traces.lease}`] : []),
    ...(existsSync(join(node.root, 'network', 'pods', traces.record)) ? [`record ${traces.record}`] : []),
    ...(existsSync(`/var/run/netns/${traces.netns}`) ? [`namespace ${traces.netns}`] : []),
  ];
}

/** How often a node's agent has registered, from its log. */
function registrations(root: string): number {
  return readFileSync(join(root, 'agent.log'), 'utf8').split('node registered').length - 1;
}

function ready(node: Node): string | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

describe('e2e: pod network', function () {
  this.timeout(180_000);
  let cluster: LocalClusterHandle;
  let seen: Pod[] = [];

  useSharedCluster((c) => (cluster = c), async (c) => {
    await run(c, ['delete', 'deployment', 'netweb', '--ignore-not-found']);
  });

  it('gives every pod an IP of its node\'s pod CIDR, shown by get pods -o wide; pods on different nodes reach each other by IP', async () => {
    await apply(cluster, WEB);
    seen = await webPods(cluster);
    expect(new Set(seen.map((p) => p.spec.nodeName)).size).to.equal(3);
    const nodes = await getJson<{ items: Node[] }>(cluster, ['nodes']);
    const wide = await wideIPs(cluster);
    for (const p of seen) {
      const ip = p.status?.podIP ?? '';
      expect(p.status?.podIPs).to.deep.equal([{ ip }]);
      expect(wide[p.metadata.name]).to.deep.equal([ip, p.spec.nodeName]);
      const cidr = nodes.items.find((n) => n.metadata.name === p.spec.nodeName)?.spec.podCIDR ?? '';
      expect(ip.split('.').slice(0, 3).join('.'), `${ip} in ${cidr}`).to.equal(cidr.split('.').slice(0, 3).join('.'));
    }
    for (const from of seen) {
      for (const to of seen) {
        if (from === to) continue;
        const out = await inPod(cluster, from, ['ping', '-c1', '-W2', to.status?.podIP ?? '']);
        expect(out, `${from.spec.nodeName} → ${to.spec.nodeName}`).to.contain('1 packets received');
      }
    }
  });

  it('keeps a pod\'s own address on traffic to other pods, and gives traffic leaving the cluster the node\'s address', async () => {
    const [client, server] = seen as [Pod, Pod];
    const asSeenByPod = await inPod(cluster, client, ['timeout', '5', 'wget', '-qO-', `http://${server.status?.podIP}:8080/cgi-bin/caller`]);
    expect(asSeenByPod.trim()).to.equal(client.status?.podIP);
    // Outside the cluster: a server of this test on the lab bridge (the host side of every node).
    let caller = '';
    const outside: Server = createServer((req, res) => {
      caller = req.socket.remoteAddress ?? '';
      res.end('ok');
    });
    await new Promise<void>((resolve) => outside.listen(0, cluster.record.bridgeIp, resolve));
    try {
      const port = (outside.address() as { port: number }).port;
      expect((await inPod(cluster, client, ['timeout', '5', 'wget', '-qO-', `http://${cluster.record.bridgeIp}:${port}/`])).trim()).to.equal('ok');
      expect(caller.replace(/^::ffff:/, '')).to.equal(nodeOf(cluster, client).ip);
    } finally {
      await new Promise((resolve) => outside.close(resolve));
    }
  });

  it('an agent restart keeps every pod and its IP', async () => {
    const before = Object.fromEntries(seen.map((p) => [p.metadata.name, p.status?.podIP]));
    // One node after the other, as an operator rolls agents: each is Ready again before the next stops.
    for (const n of cluster.nodes) {
      const registered = registrations(n.root);
      await restartAgent(cluster, n.name);
      await waitFor(async () => {
        expect(registrations(n.root), n.name).to.be.greaterThan(registered);
        expect(ready(await getJson<Node>(cluster, ['node', n.name])), n.name).to.equal('True');
      }, 60_000);
    }
    const after = await webPods(cluster);
    expect(Object.fromEntries(after.map((p) => [p.metadata.name, p.status?.podIP]))).to.deep.equal(before);
    const [a, b] = after as [Pod, Pod];
    expect(await inPod(cluster, a, ['ping', '-c1', '-W2', b.status?.podIP ?? ''])).to.contain('1 packets received');
  });

  it('after the pods are deleted, no address, veth, namespace or record of theirs is left on any node', async () => {
    const current = await webPods(cluster);
    const traces = await Promise.all(current.map(async (p) => ({ pod: p, traces: { veth: await hostVeth(cluster, p), lease: p.status?.podIP ?? '', ...sandboxOf(nodeOf(cluster, p), p) } })));
    for (const { pod: p, traces: t } of traces) expect(await tracesLeft(nodeOf(cluster, p), t), p.metadata.name).to.have.length(4);
    await run(cluster, ['delete', 'deployment', 'netweb']);
    await waitFor(async () => {
      expect(await pods(cluster, 'app=netweb')).to.deep.equal([]);
      for (const { pod: p, traces: t } of traces) {
        expect(nodeContainers(nodeOf(cluster, p).root).filter((c) => c.id.startsWith(p.metadata.uid ?? '?'))).to.deep.equal([]);
        expect(await tracesLeft(nodeOf(cluster, p), t), p.metadata.name).to.deep.equal([]);
      }
    }, 60_000);
    const { stdout } = await sh('ip', ['netns', 'list']);
    for (const { traces: t } of traces) expect(stdout).to.not.contain(t.netns);
  });

  it('a deleted node\'s route goes from every other node, and comes back with the same pod CIDR when the node registers again', async () => {
    const [first, second, third] = cluster.nodes as [LocalClusterNode, LocalClusterNode, LocalClusterNode];
    const cidr = (await getJson<Node>(cluster, ['node', third.name])).spec.podCIDR ?? '';
    for (const n of [first, second]) expect((await nodeRoutes(n))[cidr], n.name).to.equal(third.ip);
    await stopAgent(cluster, third.name);
    try {
      await run(cluster, ['delete', 'node', third.name]);
      await waitFor(async () => {
        for (const n of [first, second]) expect(await nodeRoutes(n), n.name).to.not.have.property(cidr);
      });
    } finally {
      startAgent(cluster, third.name);
    }
    await waitFor(async () => {
      const node = await getJson<Node>(cluster, ['node', third.name]);
      expect(ready(node)).to.equal('True');
      expect(node.spec.podCIDR).to.equal(cidr);
      for (const n of [first, second]) expect((await nodeRoutes(n))[cidr], n.name).to.equal(third.ip);
    }, 60_000);
  });
});
