/**
 * Node agent memory benchmark (issue 8) on a real 3-node local cluster (`berth up`), always
 * removed afterwards (`berth down`, also on Ctrl-C). Prints figures beside the target; asserts
 * nothing.
 *
 *   node dist/test/bench/agent-memory.bench.js [--replicas 300] [--runs 3] [--settle 10]
 *
 * Per agent it reads /proc/<pid>/status (VmRSS, VmHWM, RssAnon, RssFile, threads) and the main
 * thread's V8 heap (memory-report-hook.js, which this bench preloads into the cluster's Node
 * processes through NODE_OPTIONS):
 *   idle        right after `berth up` (0 pods, nothing pulled), and again after busybox was
 *               pulled once per node (one pinned pod each, deleted again);
 *   each run    a Deployment of --replicas busybox pods (`sleep 3600`; 100 per node by default)
 *               with the image cached: VmHWM is reset before apply, so "peak" is the peak of
 *               that start; apply → all Running (seen through a ClusterAPI watch) and the CPU
 *               time the agents used meanwhile (steadier than wall time on a busy machine);
 *               RSS at all Running and --settle seconds later; then the Deployment is deleted and the
 *               nodes drained before the next run.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ClusterClient } from '../../cli/client.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { LocalClusterNode } from '../support/local-cluster.js';
import { cpuOf, nowMs, runtimeList, sleep, withBenchCluster } from '../support/bench-cluster.js';
import { isRunningReady, ms, pinnedPod, PodWatch, quantile, sleepDeployment } from '../support/bench-pods.js';
import { mib, processMemory, resetPeakRss, type ProcessMemory } from '../support/process-memory.js';
import { memoryReportDir, type HeapReport } from './memory-report-hook.js';

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' },
    settle: { type: 'string', default: '10' },
  },
});
const REPLICAS = Number(values.replicas);
const RUNS = Number(values.runs);
const SETTLE_MS = Number(values.settle) * 1000;
const NS = 'default';
const NODES = 3;
const TARGET_KIB = 64 * 1024;

const hook = join(dirname(fileURLToPath(import.meta.url)), 'memory-report-hook.js');
// berth up hands NODE_OPTIONS on to the control plane and the agents.
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${hook}`.trim();
const asked = new Set<number>();

/** Asks a process with the hook for its heap report; undefined if none comes within 5 s. */
async function heapReport(pid: number): Promise<HeapReport | undefined> {
  const file = join(memoryReportDir, `${pid}.json`);
  const at = Date.now();
  asked.add(pid);
  process.kill(pid, 'SIGWINCH');
  while (Date.now() - at < 5_000) {
    if (existsSync(file)) {
      const report = JSON.parse(readFileSync(file, 'utf8')) as HeapReport;
      if (report.atMs >= at) return report;
    }
    await sleep(50);
  }
  return undefined;
}

function heapLine(r: HeapReport | undefined): string {
  if (!r) return 'heap n/a (no report from memory-report-hook.js)';
  const m = (bytes: number): string => mib(bytes / 1024);
  const young = r.spaces.filter((s) => s.name === 'new_space').reduce((sum, s) => sum + s.committed, 0);
  return `V8 heap used ${m(r.heap.used_heap_size)} of ${m(r.heap.total_physical_size)} committed (young ${m(young)}), external ${m(r.memoryUsage.external)}, arrayBuffers ${m(r.memoryUsage.arrayBuffers)}, malloced ${m(r.heap.malloced_memory)}`;
}

function statusLine(m: ProcessMemory): string {
  return `RSS ${mib(m.rssKiB)} (anon ${mib(m.anonKiB)}, file ${mib(m.fileKiB)}), peak ${mib(m.peakKiB)}, ${m.threads} threads`;
}

/** Prints each agent's memory under a heading; returns the RSS figures. */
async function report(heading: string, nodes: LocalClusterNode[]): Promise<ProcessMemory[]> {
  console.log(`\n${heading}`);
  const out: ProcessMemory[] = [];
  for (const n of nodes) {
    const heap = await heapReport(n.agentPid);
    const m = processMemory(n.agentPid);
    out.push(m);
    console.log(`  agent ${n.name}: ${statusLine(m)}`);
    console.log(`    ${heapLine(heap)}`);
  }
  return out;
}

async function apply(client: ClusterClient, objects: BerthObject[]): Promise<void> {
  const reply = await client.apply({ documents: objects.map((o, i) => ({ source: 'bench', index: i + 1, json: JSON.stringify(o) })) });
  if (reply.errors.length > 0) throw new Error(`apply failed: ${reply.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
}

async function drained(nodes: LocalClusterNode[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (nodes.some((n) => runtimeList(n).length > 0)) {
    if (Date.now() > deadline) throw new Error('containers of deleted pods still on the nodes');
    await sleep(250);
  }
}

function maxOf(ms: ProcessMemory[], pick: (m: ProcessMemory) => number): number {
  return Math.max(...ms.map(pick));
}

async function main(): Promise<void> {
  await withBenchCluster(NODES, async (cluster) => {
    const client = new ClusterClient(cluster.server, cluster.tls);
    const pods = new PodWatch(cluster, NS);
    const nodes = cluster.nodes;
    const summary: string[] = [];
    try {
      await sleep(SETTLE_MS);
      const fresh = await report('idle, right after up (0 pods, no image pulled):', nodes);
      summary.push(`idle after up: max RSS ${mib(maxOf(fresh, (m) => m.rssKiB))}`);

      await apply(client, nodes.map((n) => pinnedPod(`prepull-${n.name}`, NS, n.name)));
      await pods.until('one pinned pod Running per node', () => pods.of('prepull').filter((t) => isRunningReady(t.latest)).length === NODES, 180_000);
      for (const n of nodes) await client.delete('pods', NS, `prepull-${n.name}`);
      await pods.until('pre-pull pods deleted', () => pods.of('prepull', true).length === 0, 60_000);
      await drained(nodes, 60_000);
      await sleep(SETTLE_MS);
      const pulled = await report('idle after busybox was pulled and one pod ran and was deleted (0 pods):', nodes);
      summary.push(`idle after a pull: max RSS ${mib(maxOf(pulled, (m) => m.rssKiB))}, peak during up + pull ${mib(maxOf(pulled, (m) => m.peakKiB))}`);

      const startTimes: number[] = [];
      const cpuTimes: number[] = [];
      for (let run = 1; run <= RUNS; run++) {
        const app = `mem${run}`;
        for (const n of nodes) resetPeakRss(n.agentPid);
        const cpuBefore = nodes.map((n) => cpuOf(n.agentPid).selfMs);
        const t0 = nowMs();
        await apply(client, [sleepDeployment(app, NS, REPLICAS)]);
        const allRunning = await pods.until(`${REPLICAS} pods Running`, () => pods.of(app).filter((t) => t.runningSeenMs !== undefined).length >= REPLICAS, 300_000);
        startTimes.push(allRunning - t0);
        const cpuMs = nodes.map((n, i) => cpuOf(n.agentPid).selfMs - (cpuBefore[i] ?? 0));
        cpuTimes.push(cpuMs.reduce((a, b) => a + b, 0));
        const perNode = new Map<string, number>();
        for (const t of pods.of(app)) perNode.set(t.node ?? '?', (perNode.get(t.node ?? '?') ?? 0) + 1);
        const started = pods.of(app).map((t) => (t.runningSeenMs ?? NaN) - t0);
        console.log(`\nrun ${run}: apply → all ${REPLICAS} Running ${ms(allRunning - t0).trim()} (per pod p50 ${ms(quantile(started, 0.5)).trim()}, p99 ${ms(quantile(started, 0.99)).trim()}); pods per node: ${[...perNode].sort().map(([n, c]) => `${n} ${c}`).join(', ')}`);
        console.log(`  agent CPU meanwhile: ${cpuMs.map((c) => `${(c / 1000).toFixed(2)} s`).join(', ')} (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
        const atRunning = await report(`run ${run}: at all Running (peak = during this start):`, nodes);
        await sleep(SETTLE_MS);
        const settled = await report(`run ${run}: ${SETTLE_MS / 1000} s later:`, nodes);
        summary.push(`run ${run}: start ${ms(allRunning - t0).trim()}, peak ${mib(maxOf(atRunning, (m) => m.peakKiB))}, RSS at all Running ${mib(maxOf(atRunning, (m) => m.rssKiB))}, settled ${mib(maxOf(settled, (m) => m.rssKiB))} (max over agents)`);
        await client.delete('deployments', NS, app);
        await pods.until(`${app} pods deleted`, () => pods.of(app, true).length === 0, 120_000);
        await drained(nodes, 120_000);
      }
      await sleep(SETTLE_MS);
      const after = await report(`idle after ${RUNS} runs (0 pods):`, nodes);
      summary.push(`idle after the runs: max RSS ${mib(maxOf(after, (m) => m.rssKiB))}`);

      console.log(`\nsummary (target: RSS ≤ ${mib(TARGET_KIB)} per agent with 100 pods):`);
      for (const line of summary) console.log(`  ${line}`);
      console.log(`  apply → all Running over ${RUNS} runs: ${startTimes.map((x) => ms(x).trim()).join(', ')}`);
      console.log(`  CPU of the ${NODES} agents for those starts: ${cpuTimes.map((x) => `${(x / 1000).toFixed(2)} s`).join(', ')}`);
    } finally {
      pods.close();
      client.close();
    }
  });
}

function removeReports(): void {
  for (const pid of asked) rmSync(join(memoryReportDir, `${pid}.json`), { force: true });
}

main().then(
  () => {
    removeReports();
    process.exit(0);
  },
  (err: unknown) => {
    removeReports();
    console.error(err);
    process.exit(1);
  },
);
