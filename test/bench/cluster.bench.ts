/**
 * Cluster benchmark on a real 3-node local cluster (`berth up`), brought up once for the whole
 * run and always removed (`berth down`, also on Ctrl-C; CLI processes it started are killed by
 * pid). Prints figures beside their targets; asserts nothing.
 *
 *   node dist/test/bench/cluster.bench.js [--pods 100,300] [--runs 5] [--images cached,uncached]
 *       [--phases start,delete,scale,restart,failover] [--teardown-pods 100] [--restarts 21]
 *       [--failover-replicas 30] [--profile]
 *
 * Quick run: --pods 20 --runs 1 --phases start,delete.
 *
 * start     pod start as a user sees it, through real CLI processes (bench-pod-start.ts): for
 *           each pod count and image case, --runs runs, interleaved so background load affects
 *           them alike; per run p50/p99/max over the pods, then the spread over the runs, where
 *           the time went, and CPU-seconds and peak RSS of agents, control plane, etcd and the
 *           containers' monitors.
 * delete    `berth delete` of a --teardown-pods Deployment (process exits on SIGTERM, default
 *           30 s grace) → every pod object and every container gone (bench-teardown.ts).
 * scale     `berth scale … --replicas 0` of the same → all gone.
 * restart   container killed → restarted (bench-recovery.ts).
 * failover  a node dies → its replicas Running elsewhere (bench-recovery.ts); always last.
 *
 * --profile: with NODE_OPTIONS=--import=$PWD/dist/test/bench/cpu-profile-hook.js, the agents and
 * the control plane write CPU profiles of the first pod start run (SIGUSR2 at its start and end).
 *
 * All clocks are this machine's wall clock (the bench, the CLI, the agents, berth-runtime and
 * the containers share it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClusterClient } from '../../cli/client.js';
import { cliStartup, type CliStartup } from '../support/bench-cli.js';
import { clusterProcesses, nowMs, withBenchCluster } from '../support/bench-cluster.js';
import { NS, waitContainersGone, type BenchContext } from '../support/bench-context.js';
import { podStartRun, type PodStartRun } from '../support/bench-pod-start.js';
import { reportPodStart } from '../support/bench-pod-start-report.js';
import { isRunningReady, ms, pinnedPod, PodWatch } from '../support/bench-pods.js';
import { failover, restart } from '../support/bench-recovery.js';
import { ResourceMeter } from '../support/bench-resources.js';
import { reportTeardown, teardownRun, type TeardownRun } from '../support/bench-teardown.js';
import type { LocalClusterNode } from '../support/local-cluster.js';

const PHASES = ['start', 'delete', 'scale', 'restart', 'failover'] as const;
const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '100,300' },
    runs: { type: 'string', default: '5' },
    images: { type: 'string', default: 'cached,uncached' },
    phases: { type: 'string', default: PHASES.join(',') },
    'teardown-pods': { type: 'string', default: '100' },
    restarts: { type: 'string', default: '21' },
    'failover-replicas': { type: 'string', default: '30' },
    profile: { type: 'boolean', default: false },
  },
});
const positive = (flag: string, text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes positive integers (got "${text}")`);
  return n;
};
const POD_COUNTS = values.pods.split(',').map((p) => positive('--pods', p));
const RUNS = positive('--runs', values.runs);
const IMAGES = values.images.split(',');
for (const i of IMAGES) if (i !== 'cached' && i !== 'uncached') throw new Error(`--images takes cached and/or uncached (got "${i}")`);
const phases = new Set(values.phases.split(','));
for (const p of phases) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--phases takes ${PHASES.join(', ')} (got "${p}")`);
const TEARDOWN_PODS = positive('--teardown-pods', values['teardown-pods']);
const NODES = 3;

/** Puts busybox:1.35 on every node (one pinned pod each), then removes those pods. */
async function prePull(b: BenchContext): Promise<void> {
  const started = nowMs();
  const reply = await b.client.apply({ documents: b.cluster.nodes.map((n, i) => ({ source: 'bench', index: i + 1, json: JSON.stringify(pinnedPod(`prepull-${n.name}`, NS, n.name)) })) });
  if (reply.errors.length > 0) throw new Error(`pre-pull failed: ${reply.errors.map((e) => e.message).join('; ')}`);
  await b.pods.until('one pinned pod Running per node', () => b.pods.of('prepull').filter((t) => isRunningReady(t.latest)).length === NODES, 180_000);
  console.log(`pre-pull: one pod per node Running in ${ms(nowMs() - started).trim()} (busybox:1.35 pulled from the local registry into each node)`);
  const uids = b.pods.of('prepull').map((t) => t.uid);
  for (const n of b.cluster.nodes) await b.client.delete('pods', NS, `prepull-${n.name}`);
  await b.pods.until('pre-pull pods deleted', () => b.pods.of('prepull', true).length === 0, 60_000);
  await waitContainersGone(b, new Set(uids), 'the pre-pull pods');
}

async function podStartPhase(b: BenchContext, cli: CliStartup): Promise<void> {
  const results = new Map<string, PodStartRun[]>();
  const profiled = clusterProcesses(b.cluster).filter((p) => p.name !== 'etcd');
  for (let run = 1; run <= RUNS; run++) {
    for (const pods of POD_COUNTS) {
      for (const image of IMAGES) {
        const key = `${pods}/${image}`;
        const profile = values.profile && results.size === 0;
        if (profile) for (const p of profiled) process.kill(p.pid, 'SIGUSR2');
        const result = await podStartRun(b, pods, image === 'cached', run);
        if (profile) for (const p of profiled) process.kill(p.pid, 'SIGUSR2');
        console.error(`  [pod start ${key} run ${run}/${RUNS}: p99 printed Running ${ms(Math.max(...result.printed)).trim()} max, load ${result.load1.toFixed(1)}]`);
        results.set(key, [...(results.get(key) ?? []), result]);
      }
    }
  }
  for (const runs of results.values()) reportPodStart(runs, cli);
}

async function teardownPhase(b: BenchContext, how: 'delete' | 'scale'): Promise<void> {
  const runs: TeardownRun[] = [];
  for (let run = 1; run <= RUNS; run++) {
    runs.push(await teardownRun(b, how, TEARDOWN_PODS, run));
    console.error(`  [${how} run ${run}/${RUNS} done]`);
  }
  reportTeardown(how, TEARDOWN_PODS, runs);
}

async function main(): Promise<void> {
  const load = loadavg();
  await withBenchCluster(NODES, async (cluster) => {
    const workDir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
    // Ctrl-C ends the process from withBenchCluster's handler, past the finally below.
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
    try {
      console.log(`machine: ${cpus().length} cores; load average before berth up ${load.map((x) => x.toFixed(2)).join(' ')}, now ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
      const cli = await cliStartup(cluster);
      console.log(`CLI costs now (median of 5): node -e 0 ${ms(cli.node).trim()}; berth --help (node + CLI modules) ${ms(cli.help).trim()}; berth get namespaces (+ proto, connection, one List) ${ms(cli.getNamespaces).trim()}`);
      await prePull(b);
      if (phases.has('start')) await podStartPhase(b, cli);
      if (phases.has('delete')) await teardownPhase(b, 'delete');
      if (phases.has('scale')) await teardownPhase(b, 'scale');
      if (phases.has('restart') || phases.has('failover')) await restart(b, positive('--restarts', values.restarts));
      if (phases.has('failover')) await failover(b, positive('--failover-replicas', values['failover-replicas']));
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
