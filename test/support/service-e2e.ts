/**
 * What the Service e2e tests do as a user would: run shell commands in a client pod with the
 * real `berth exec`, fetch a URL many times from it, read a Service's EndpointSlices. And what
 * they look at underneath, on the nodes: the proxy's nftables table, a pod's network traces.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { EndpointSlice } from '../../proto/objects/discovery.js';
import type { Pod } from '../../proto/objects/pod.js';
import { berth } from './cli.js';
import { getJson, pod } from './e2e-cluster.js';
import type { LocalClusterHandle, LocalClusterNode } from './local-cluster.js';

const sh = promisify(execFile);

/** A pod pinned to one node that only waits, to run clients in with `berth exec`. */
export function clientPod(name: string, node: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
    role: service-client
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox:1.35
    command: ["sleep", "1000000"]
`;
}

/** inPod runs `sh -c script` in a pod with `berth exec` and returns its output; a non-zero exit is an error naming the output. */
export async function inPod(cluster: LocalClusterHandle, podName: string, script: string): Promise<string> {
  const r = await berth(cluster.server, ['exec', podName, '--', 'sh', '-c', script], undefined, cluster.env);
  if (r.code !== 0) throw new Error(`in ${podName}: ${script} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * fetchMany asks `url` `times` times from a pod, each a new connection (busybox wget, at most 5 s
 * each: its own -T crashes) and returns the answers in order, `FAILED` for a request that failed.
 * With `env` (e.g. `RES_OPTIONS=use-vc`) set for wget's name lookup.
 */
export async function fetchMany(cluster: LocalClusterHandle, podName: string, url: string, times: number, env = ''): Promise<string[]> {
  const out = await inPod(cluster, podName, `for i in $(seq ${times}); do ${env} timeout 5 wget -qO- ${url} || echo FAILED; done`);
  return out.trim().split('\n');
}

/**
 * podNetns is the name of the pod's network namespace, from the record of its sandbox on its
 * node (a sandbox taken from the warm pool keeps the name it was made with).
 */
export function podNetns(node: LocalClusterNode, p: Pod): string {
  const dir = join(node.root, 'network', 'pods');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.'))) {
    const record = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { podUid?: string; attachment: { netns: string } };
    if (record.podUid === p.metadata.uid) return basename(record.attachment.netns);
  }
  throw new Error(`no sandbox record names pod ${p.metadata.name} (${p.metadata.uid ?? ''}) on ${node.name}`);
}

/**
 * dnsOnlyOver runs `body` while the pod can reach DNS servers over `proto` only: the other
 * protocol's port 53 is dropped by an nftables table of the test's in the pod's own network
 * namespace, removed afterwards, also when `body` fails.
 */
export async function dnsOnlyOver<T>(node: LocalClusterNode, p: Pod, proto: 'udp' | 'tcp', body: () => Promise<T>): Promise<T> {
  const other = proto === 'udp' ? 'tcp' : 'udp';
  const netns = `--net=/var/run/netns/${podNetns(node, p)}`;
  const rules = `table ip e2e-dns-block {\n chain out {\n  type filter hook output priority 0; policy accept;\n  ${other} dport 53 drop\n }\n}\n`;
  const nft = sh('nsenter', [netns, '--', 'nft', '-f', '-']);
  nft.child.stdin?.end(rules);
  await nft;
  try {
    return await body();
  } finally {
    await sh('nsenter', [netns, '--', 'nft', 'delete', 'table', 'ip', 'e2e-dns-block']);
  }
}

/** The Service's endpoints as its EndpointSlices list them: address → conditions.ready. */
export async function endpointsOf(cluster: LocalClusterHandle, service: string): Promise<Record<string, boolean>> {
  const slices = await getJson<{ items: EndpointSlice[] }>(cluster, ['endpointslices', '-l', `kubernetes.io/service-name=${service}`]);
  const out: Record<string, boolean> = {};
  for (const s of slices.items) for (const e of s.endpoints) for (const a of e.addresses) out[a] = e.conditions?.ready === true;
  return out;
}

/** The ready addresses of a Service's endpoints, sorted. */
export async function readyEndpoints(cluster: LocalClusterHandle, service: string): Promise<string[]> {
  return Object.entries(await endpointsOf(cluster, service)).filter(([, ready]) => ready).map(([a]) => a).sort();
}

/** A node's nftables table, with rule handles: the same text means no rule was replaced. */
export async function nftTable(node: LocalClusterNode, table: string): Promise<string> {
  const { stdout } = await sh('ip', ['netns', 'exec', node.netns, 'nft', '-a', 'list', 'table', 'ip', table]);
  return stdout;
}

/** A node's routes (its own namespace's main table), as `ip -j route` lists them. */
export async function nodeRoutes(node: LocalClusterNode): Promise<string> {
  const { stdout } = await sh('ip', ['-n', node.netns, '-4', 'route', 'show']);
  return stdout;
}

/** A node's links' names. */
export async function nodeLinks(node: LocalClusterNode): Promise<string[]> {
  const { stdout } = await sh('ip', ['-n', node.netns, '-j', 'link', 'show']);
  return (JSON.parse(stdout) as Array<{ ifname: string }>).map((l) => l.ifname);
}

/** hostVeth is the name of a pod's veth in its node's namespace: the peer of the pod's eth0. */
export async function hostVeth(node: LocalClusterNode, p: Pod): Promise<string> {
  const inPodNetns = await sh('ip', ['-n', podNetns(node, p), '-j', 'link', 'show', 'dev', 'eth0']);
  const [eth0] = JSON.parse(inPodNetns.stdout) as Array<{ link_index: number }>;
  const { stdout } = await sh('ip', ['-n', node.netns, '-j', 'link', 'show']);
  return (JSON.parse(stdout) as Array<{ ifindex: number; ifname: string }>).find((l) => l.ifindex === eth0?.link_index)?.ifname ?? '';
}

/** The names of the network namespaces on this machine. */
export async function netnsNames(): Promise<string[]> {
  const { stdout } = await sh('ip', ['netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
}

/** Gets the pods by name (recording them for the shared cluster's final leftovers check). */
export function podsNamed(cluster: LocalClusterHandle, names: string[]): Promise<Pod[]> {
  return Promise.all(names.map((n) => pod(cluster, n)));
}
