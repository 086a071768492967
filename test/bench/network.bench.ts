/**
 * Network benchmark on a real 3-node local cluster (`berth up`, brought up once and always
 * removed): the figures of the service-discovery issue that need pods and Services, printed
 * side by side with their targets and the machine's load. Asserts nothing.
 *
 *   node dist/test/bench/network.bench.js [--runs 5] [--seconds 5] [--connections 8] [--churn 12]
 *       [--figures http,iperf,churn]
 *
 * Layout: a client pod on node-1; an httpd pod on node-2 behind Service net-wrk (port 80 →
 * 8080); a steady httpd pod on node-2 behind Service net-churn. Every load generator runs
 * inside a lab namespace (the client pod's, or a node's) with the host's binaries, targets
 * only lab addresses and stops by itself; runs of the two sides of a ratio alternate so
 * background load falls on both alike.
 *
 * http   requests/s of wrk (1 thread, --connections, --seconds) in the client pod, through
 *        the ClusterIP vs straight to the pod IP of the same httpd pod; --runs runs each.
 *        busybox httpd closes every connection, so each request is a new connection (and a
 *        new DNAT through the ClusterIP), and it forks per connection, so it is the ceiling:
 *        each run also measures it from its own pod's loopback, with no network path at all.
 *        Then 1,000 requests to each target, one at a time and alternated, give the latency of
 *        a new connection's request both ways under the same background load.
 * iperf  TCP throughput of iperf3 (-t --seconds) pod → pod across nodes (client pod on node-1 →
 *        httpd pod on node-2) vs node → node (node-1's namespace → node-2's address); --runs each.
 * churn  --churn pods added to and deleted from net-churn, one at a time, on the nodes in turn,
 *        while a prober in the client pod opens a new connection to the ClusterIP every 10 ms:
 *        pod Ready → first answer, and pod deleted → last new connection it answered
 *        (bench-service-churn.ts says exactly where each clock starts and stops).
 *
 * The other two figures have benches of their own: one endpoint change programmed in
 * nftables at 1,000 Services / 10,000 endpoints in service-proxy.bench.ts (`npm run
 * bench:service-proxy`), and DNS p99 at 1,000 q/s and q/s on one core in
 * dns.bench.ts (`npm run bench:dns`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClusterClient } from '../../cli/client.js';
import type { Pod } from '../../proto/objects/pod.js';
import type { Service } from '../../proto/objects/service.js';
import { clusterProcesses, sleep, withBenchCluster } from '../support/bench-cluster.js';
import { NS, type BenchContext } from '../support/bench-context.js';
import { iperf3, pairedLatency, wrk, type IperfResult, type WrkResult } from '../support/bench-network-load.js';
import { clientPod, clusterIPService, HTTPD_PORT, httpdPod, SERVICE_PORT } from '../support/bench-network-objects.js';
import { nodeNetns, podNetns, runIn, setPortRange } from '../support/bench-netns.js';
import { isRunningReady, ms, PodWatch, quantile } from '../support/bench-pods.js';
import { ResourceMeter } from '../support/bench-resources.js';
import { CHURN_LABEL, churnRun, Prober, type ChurnRun } from '../support/bench-service-churn.js';
import type { LocalClusterNode } from '../support/local-cluster.js';

const FIGURES = ['http', 'iperf', 'churn'] as const;
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
    churn: { type: 'string', default: '12' },
    figures: { type: 'string', default: FIGURES.join(',') },
  },
});
const positive = (flag: string, text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer (got "${text}")`);
  return n;
};
const RUNS = positive('--runs', values.runs);
const SECONDS = positive('--seconds', values.seconds);
const CONNECTIONS = positive('--connections', values.connections);
const CHURN = positive('--churn', values.churn);
const LATENCY_PAIRS = 1000;
const figures = new Set(values.figures.split(','));
for (const f of figures) if (!(FIGURES as readonly string[]).includes(f)) throw new Error(`--figures takes ${FIGURES.join(', ')} (got "${f}")`);

/** One line of the closing table. */
interface Figure {
  name: string;
  measured: string;
  target: string;
  loads: number[];
}

const median = (xs: number[]): number => quantile(xs, 0.5);
const loadRange = (xs: number[]): string => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
const spread = (xs: number[], digits: number): string => `min ${Math.min(...xs).toFixed(digits)} / median ${median(xs).toFixed(digits)} / max ${Math.max(...xs).toFixed(digits)}`;

async function applyAll(b: BenchContext, objects: Array<Pod | Service>): Promise<void> {
  const reply = await b.client.apply({ documents: objects.map((o, i) => ({ source: 'bench', index: i + 1, json: JSON.stringify(o) })) });
  if (reply.errors.length > 0) throw new Error(`apply failed: ${reply.errors.map((e) => e.message).join('; ')}`);
}

async function readyPod(b: BenchContext, name: string): Promise<Pod> {
  const live = () => [...b.pods.traces.values()].find((t) => t.name === name && t.deletedMs === undefined);
  await b.pods.until(`${name} Running and Ready`, () => {
    const trace = live();
    return trace !== undefined && isRunningReady(trace.latest);
  }, 180_000);
  return live()!.latest;
}

async function clusterIP(b: BenchContext, name: string): Promise<string> {
  const ip = ((await b.client.get('services', NS, name)) as Service).spec.clusterIP;
  if (!ip) throw new Error(`Service ${name} has no ClusterIP`);
  return ip;
}

/** untilAnswered waits until `url` answers from inside `netns` (the Service's rules are in place on the client's node). */
async function untilAnswered(netns: string, url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    // No -T: Debian's busybox 1.35 wget crashes (SIGSEGV) with it; runIn's timeout bounds it instead.
    const r = await runIn(netns, ['busybox', 'wget', '-qO', '/dev/null', url], 5_000);
    if (r.code === 0) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 60 s (wget exited ${r.code ?? 'on a signal'}): ${r.stderr}${r.stdout}`);
    await sleep(200);
  }
}

async function httpFigure(clientNs: string, serviceUrl: string, podUrl: string, serverNs: string): Promise<Figure> {
  console.log(`\nhttp: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s in the client pod (node-1) → ${serviceUrl} (ClusterIP) vs ${podUrl} (pod IP, node-2)`);
  const viaService: WrkResult[] = [];
  const direct: WrkResult[] = [];
  const loopback: WrkResult[] = [];
  for (let run = 1; run <= RUNS; run++) {
    // Alternate which side goes first, so a trend in the background load favours neither.
    const order = run % 2 === 1 ? ['service', 'pod'] : ['pod', 'service'];
    for (const side of order) {
      // Each side has its own source ports. The server sees a ClusterIP connection and a direct
      // one from the same port as the same 4-tuple, but the client's TCP timestamps differ (their
      // offset depends on the destination address), so a reused tuple still in the server's
      // TIME_WAIT fails its PAWS check and the SYN waits 1 s to be sent again.
      if (side === 'service') {
        await setPortRange(clientNs, 32768, 46999);
        viaService.push(await wrk(clientNs, serviceUrl, SECONDS, CONNECTIONS));
      } else {
        await setPortRange(clientNs, 47000, 60999);
        direct.push(await wrk(clientNs, podUrl, SECONDS, CONNECTIONS));
      }
    }
    // The server's own ceiling, with no network path at all: what the two figures above can reach.
    const l = await wrk(serverNs, `http://127.0.0.1:${HTTPD_PORT}/index.html`, SECONDS, CONNECTIONS);
    loopback.push(l);
    const s = viaService[run - 1]!;
    const d = direct[run - 1]!;
    const detail = (r: WrkResult) => `${r.errors} errors, ${r.synRetransmits} SYN retransmits, load ${r.load1.toFixed(1)}`;
    console.log(`  run ${run}: ClusterIP ${s.requestsPerSecond.toFixed(0)} req/s (${detail(s)}), pod IP ${d.requestsPerSecond.toFixed(0)} req/s (${detail(d)}), ratio ${(s.requestsPerSecond / d.requestsPerSecond).toFixed(2)}; the server from its own loopback ${l.requestsPerSecond.toFixed(0)} req/s (load ${l.load1.toFixed(1)})`);
  }
  const s = median(viaService.map((r) => r.requestsPerSecond));
  const d = median(direct.map((r) => r.requestsPerSecond));
  // The two sides of a run ran back to back, under about the same background load: the ratio is taken per run.
  const ratios = viaService.map((r, i) => r.requestsPerSecond / direct[i]!.requestsPerSecond);
  console.log(`  per-run ratio ${spread(ratios, 2)}; the server alone (its loopback) median ${median(loopback.map((r) => r.requestsPerSecond)).toFixed(0)} req/s`);
  // Runs seconds apart see different background load; one request at a time, alternated, sees the same.
  const address = (url: string) => `${new URL(url).hostname}:${new URL(url).port || '80'}`;
  const targets: [string, string] = [address(serviceUrl), address(podUrl)];
  const lat = await pairedLatency(clientNs, targets, LATENCY_PAIRS);
  console.log(`  one new connection + request at a time, ${LATENCY_PAIRS} each, alternated: ClusterIP p50 ${lat.p50[0].toFixed(2)} ms p90 ${lat.p90[0].toFixed(2)} ms; pod IP p50 ${lat.p50[1].toFixed(2)} ms p90 ${lat.p90[1].toFixed(2)} ms; ${lat.failed} failed (load ${lat.load1.toFixed(1)})`);
  return {
    name: 'requests/s ClusterIP ÷ pod IP, same client pod',
    measured: `${median(ratios).toFixed(2)} (median run; medians ${s.toFixed(0)} / ${d.toFixed(0)} req/s)`,
    target: '≥ 0.9',
    loads: [...viaService, ...direct].map((r) => r.load1),
  };
}

async function iperfFigure(clientNs: string, server: { netns: string; ip: string }, node1: LocalClusterNode, node2: LocalClusterNode): Promise<Figure> {
  console.log(`\niperf: iperf3 -t ${SECONDS}, pod → pod across nodes (client pod on node-1 → ${server.ip} on node-2) vs node → node (${node1.ip} → ${node2.ip})`);
  const pods: IperfResult[] = [];
  const nodes: IperfResult[] = [];
  const line = (r: IperfResult) => `${r.gbitsPerSecond.toFixed(2)} Gbit/s (${r.retransmits} retransmits, CPU sender ${r.senderCpuPercent.toFixed(0)} % receiver ${r.receiverCpuPercent.toFixed(0)} %, load ${r.load1.toFixed(1)})`;
  for (let run = 1; run <= RUNS; run++) {
    const order = run % 2 === 1 ? ['pod', 'node'] : ['node', 'pod'];
    for (const side of order) {
      if (side === 'pod') pods.push(await iperf3(server.netns, server.ip, clientNs, SECONDS));
      else nodes.push(await iperf3(nodeNetns(node2), node2.ip, nodeNetns(node1), SECONDS));
    }
    console.log(`  run ${run}: pod → pod ${line(pods[run - 1]!)}; node → node ${line(nodes[run - 1]!)}`);
  }
  const p = median(pods.map((r) => r.gbitsPerSecond));
  const n = median(nodes.map((r) => r.gbitsPerSecond));
  const ratios = pods.map((r, i) => r.gbitsPerSecond / nodes[i]!.gbitsPerSecond);
  console.log(`  per-run ratio ${spread(ratios, 2)}`);
  return {
    name: 'pod → pod across nodes ÷ node → node (iperf3)',
    measured: `${median(ratios).toFixed(2)} (median run; medians ${p.toFixed(2)} / ${n.toFixed(2)} Gbit/s)`,
    target: '≥ 0.9',
    loads: [...pods, ...nodes].map((r) => r.load1),
  };
}

async function churnFigures(b: BenchContext, clientNs: string, target: string): Promise<Figure[]> {
  console.log(`\nchurn: a prober in the client pod opens a new connection to ${target} every 10 ms; ${CHURN} pods added then deleted (grace 3 s), one at a time, on the nodes in turn`);
  // Bounded: a churn run takes a few seconds (a 3 s grace among them); far more than that is a failure anyway.
  const prober = new Prober(clientNs, target, 10, 60 + CHURN * 60);
  const runs: ChurnRun[] = [];
  try {
    await prober.until('answer from the steady pod', 0, (a) => a.result === 'churn-steady', 30_000);
    for (let i = 1; i <= CHURN; i++) {
      const node = b.cluster.nodes[i % b.cluster.nodes.length]!.name;
      const r = await churnRun(b, prober, `churn-${i}`, node);
      runs.push(r);
      console.log(`  pod ${i} on ${r.node}: Ready → first answer ${ms(r.readyToFirstAnswerMs).trim()}; delete → last new connection it answered ${ms(r.deleteToLastConnectionMs).trim()}, ${r.failedAfterDelete} failed connections after the delete (load ${r.load1.toFixed(1)})`);
    }
  } finally {
    await prober.stop();
  }
  const summary = (xs: number[]) => `p99 ${ms(quantile(xs, 0.99)).trim()} (p50 ${ms(quantile(xs, 0.5)).trim()}, max ${ms(Math.max(...xs)).trim()}; ${xs.length} pods)`;
  const failed = runs.reduce((sum, r) => sum + r.failedAfterDelete, 0);
  return [
    { name: 'pod Ready → first request through the Service answered', measured: summary(runs.map((r) => r.readyToFirstAnswerMs)), target: '≤ 1 s', loads: runs.map((r) => r.load1) },
    { name: 'pod deleted → no new connection reaches it', measured: `${summary(runs.map((r) => r.deleteToLastConnectionMs))}, ${failed} failed`, target: '≤ 1 s', loads: runs.map((r) => r.load1) },
  ];
}

async function main(): Promise<void> {
  const load = loadavg();
  await withBenchCluster(3, async (cluster) => {
    const workDir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
    const removeWorkDir = () => rmSync(workDir, { recursive: true, force: true });
    process.once('exit', removeWorkDir);
    const client = new ClusterClient(cluster.server, cluster.tls);
    const pods = new PodWatch(cluster, NS);
    const byName = new Map(cluster.nodes.map((n) => [n.name, n]));
    const node = (name: string | undefined): LocalClusterNode => {
      const found = name ? byName.get(name) : undefined;
      if (!found) throw new Error(`no node ${name ?? '(unbound)'} in this cluster`);
      return found;
    };
    const b: BenchContext = { cluster, client, pods, node, meter: new ResourceMeter(clusterProcesses(cluster)), workDir };
    const results: Figure[] = [];
    try {
      console.log(`machine: ${cpus().length} cores; load average before berth up ${load.map((x) => x.toFixed(2)).join(' ')}, now ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
      const [n1, n2] = cluster.nodes as [LocalClusterNode, LocalClusterNode];
      await applyAll(b, [
        clientPod('net-client', NS, n1.name),
        httpdPod('net-server', NS, n2.name, { labels: { bench: 'wrk' }, graceSeconds: 0 }),
        httpdPod('churn-steady', NS, n2.name, { labels: CHURN_LABEL, graceSeconds: 0 }),
        clusterIPService('net-wrk', NS, { bench: 'wrk' }),
        clusterIPService('net-churn', NS, CHURN_LABEL),
      ]);
      const clientNs = podNetns(n1, await readyPod(b, 'net-client'));
      const server = await readyPod(b, 'net-server');
      await readyPod(b, 'churn-steady');
      const serverIp = server.status?.podIP ?? '';
      const serviceUrl = `http://${await clusterIP(b, 'net-wrk')}:${SERVICE_PORT}/index.html`;
      await untilAnswered(clientNs, serviceUrl);
      if (figures.has('http')) results.push(await httpFigure(clientNs, serviceUrl, `http://${serverIp}:${HTTPD_PORT}/index.html`, podNetns(n2, server)));
      if (figures.has('iperf')) results.push(await iperfFigure(clientNs, { netns: podNetns(n2, server), ip: serverIp }, n1, n2));
      if (figures.has('churn')) results.push(...(await churnFigures(b, clientNs, `${await clusterIP(b, 'net-churn')}:${SERVICE_PORT}`)));
      console.log(`\n${'figure'.padEnd(56)} ${'measured'.padEnd(64)} ${'target'.padEnd(7)} load (1 min) while measured, ${cpus().length} cores`);
      for (const f of results) console.log(`${f.name.padEnd(56)} ${f.measured.padEnd(64)} ${f.target.padEnd(7)} ${loadRange(f.loads)}`);
      console.log('(one endpoint change at 1,000 Services / 10,000 endpoints: npm run bench:service-proxy; DNS p99 at 1,000 q/s and q/s on one core: npm run bench:dns)');
    } finally {
      pods.close();
      client.close();
      removeWorkDir();
    }
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
