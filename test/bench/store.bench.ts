/**
 * Store benchmark: ClusterAPI creates (Apply of new Pods through the berth-control-plane binary,
 * over gRPC) against raw etcd doing the same writes, on one fresh etcd, in one run. Prints each
 * run, the median, and the ratios.
 *
 *   node dist/test/bench/store.bench.js [--objects 3000] [--concurrency 32,1] [--runs 3]
 *
 * What makes the comparison fair:
 * - Same bytes: the raw side writes, for each object, the exact value the API stored for it
 *   (read back from etcd: uid, timestamps, defaults, the last-applied annotation), under a key
 *   of the same length.
 * - Same batching: the API group-commits concurrent creates into transactions. A watch on the
 *   API's keys sees each transaction as the puts that share a revision; the raw side then
 *   commits transactions of exactly those sizes, in that order, each with the same conditions
 *   (every key absent, the namespace present), with at most as many objects in flight as the
 *   API had requests in flight. A second raw figure commits one object per transaction at the
 *   same concurrency (no batching), for reference.
 * - Concurrency 1 too, where no batching is possible on either side.
 *
 * The control plane runs as an API-only replica (--no-controllers): this measures the API path,
 * not the scheduler and controllers reacting to pending pods (see scheduler.bench.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClusterClient } from '../../cli/client.js';
import { objectKey, RESOURCE } from '../../proto/resources.js';
import { CONTROL_PLANE_BIN } from '../support/cli.js';
import { runBatches, runConcurrently } from '../support/bench-concurrency.js';
import { quantile } from '../support/bench-pods.js';
import { connectRawEtcd, createTxn, deletePrefix, valuesUnder, watchTransactionSizes, type RawEtcd } from '../support/bench-raw-etcd.js';
import { startTestEtcd } from '../support/etcd.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/wait.js';
import { testClusterClient, writeTestPkiDir } from '../support/test-pki.js';

const { values } = parseArgs({ options: { objects: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '32,1' }, runs: { type: 'string', default: '3' } } });
const OBJECTS = Number(values.objects);
const CONCURRENCIES = values.concurrency.split(',').map(Number);
const RUNS = Number(values.runs);
for (const [flag, n] of [['--objects', OBJECTS], ['--runs', RUNS], ...CONCURRENCIES.map((c) => ['--concurrency', c] as const)] as const) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer (got ${String(n)})`);
}
const NS = 'default';
const PODS_PREFIX = objectKey(RESOURCE.pods, NS, '');
const NAMESPACE_KEY = objectKey(RESOURCE.namespaces, undefined, NS);

function podJson(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'bench' } },
    spec: { containers: [{ name: 'c', image: 'busybox:1.35', command: ['sleep', '3600'] }] },
  });
}

/** RunResult is one run at one concurrency: objects/s of each side and what the API's transactions were. */
interface RunResult {
  api: number;
  rawSameTxns: number;
  rawOnePerTxn: number | undefined;
  txnSizes: number[];
  valueBytes: number;
}

/** One run: the API creates OBJECTS pods; raw etcd then writes the same values in the same transactions, then one per transaction. */
async function run(api: ClusterClient, raw: RawEtcd, concurrency: number, tag: string): Promise<RunResult> {
  // "api-", "raw-" and "one-" are equally long: every key has the length of its API counterpart.
  const name = (side: string, i: number) => `${side}-${tag}-${i}`;
  const watch = await watchTransactionSizes(raw, PODS_PREFIX + name('api', 0).replace(/0$/, ''));
  const apiRate = await runConcurrently(OBJECTS, concurrency, async (i) => {
    const res = await api.apply({ documents: [{ source: 'bench', index: 1, json: podJson(name('api', i)) }] });
    if (res.results[0]?.action !== 'CREATED') throw new Error(`object ${name('api', i)} was not created: ${JSON.stringify(res.errors)}`);
  });
  const txnSizes = await watch.sizes(OBJECTS);
  const stored = await valuesUnder(raw, PODS_PREFIX + name('api', 0).replace(/0$/, ''));
  const items = Array.from({ length: OBJECTS }, (_, i) => {
    const value = stored.get(PODS_PREFIX + name('api', i));
    if (value === undefined) throw new Error(`the API's ${name('api', i)} is not in etcd`);
    return { key: PODS_PREFIX + name('raw', i), value };
  });
  const rawSameTxns = await runBatches(items, txnSizes, concurrency, (batch) => createTxn(raw, batch, [NAMESPACE_KEY]));
  const rawOnePerTxn = concurrency === 1 ? undefined : await runConcurrently(OBJECTS, concurrency, (i) => createTxn(raw, [{ key: PODS_PREFIX + name('one', i), value: (items[i] as { value: string }).value }], [NAMESPACE_KEY]));
  for (const side of ['api', 'raw', 'one']) await deletePrefix(raw, PODS_PREFIX + name(side, 0).replace(/0$/, ''));
  const valueBytes = items.reduce((sum, item) => sum + Buffer.byteLength(item.value), 0) / items.length;
  return { api: apiRate, rawSameTxns, rawOnePerTxn, txnSizes, valueBytes };
}

const rate = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(0)}/s`).padStart(7);
const pct = (x: number | undefined, base: number | undefined) => (x === undefined || base === undefined ? '' : `${((x / base) * 100).toFixed(0)} %`).padStart(5);
const median = (xs: number[]) => quantile(xs, 0.5);

function report(concurrency: number, results: RunResult[]): void {
  console.log(`\nconcurrency ${concurrency} (${concurrency === 1 ? 'one request at a time: no batching on either side' : `${concurrency} requests in flight`}):`);
  results.forEach((r, i) => {
    const sizes = `${r.txnSizes.length} transactions, sizes p50 ${quantile(r.txnSizes, 0.5)} max ${Math.max(...r.txnSizes)}`;
    const one = r.rawOnePerTxn === undefined ? '' : `   raw, one object per transaction ${rate(r.rawOnePerTxn)} (API ${pct(r.api, r.rawOnePerTxn)})`;
    console.log(`  run ${i + 1}: ClusterAPI ${rate(r.api)} in ${sizes};   raw etcd, same transactions ${rate(r.rawSameTxns)} (API ${pct(r.api, r.rawSameTxns)})${one}`);
  });
  const api = median(results.map((r) => r.api));
  const same = median(results.map((r) => r.rawSameTxns));
  const ones = results.map((r) => r.rawOnePerTxn).filter((x): x is number => x !== undefined);
  // Each run's two sides ran back to back: the ratio is taken per run, then its median.
  const ratios = results.map((r) => r.api / r.rawSameTxns);
  console.log(`  median: ClusterAPI creates ${rate(api)}, raw etcd same bytes and transactions ${rate(same)}; ratio per run: median ${pct(quantile(ratios, 0.5), 1)} (runs ${(Math.min(...ratios) * 100).toFixed(0)}–${(Math.max(...ratios) * 100).toFixed(0)} %)   target >= 50 %`);
  const oneRatios = results.filter((r) => r.rawOnePerTxn !== undefined).map((r) => r.api / (r.rawOnePerTxn as number));
  if (ones.length > 0) console.log(`          raw etcd one object per transaction ${rate(median(ones))}; ClusterAPI per run at median ${pct(quantile(oneRatios, 0.5), 1)} of it`);
}

async function main(): Promise<void> {
  const load = loadavg();
  const etcd = await startTestEtcd();
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-cp-'));
  const server = `127.0.0.1:${await freePort()}`;
  const pkiDir = await writeTestPkiDir(join(dataDir, 'pki'));
  const cp = spawn(process.execPath, [...(process.env.BERTH_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BERTH_BENCH_CPU_PROF] : []), CONTROL_PLANE_BIN, '--listen', server, '--pki-dir', pkiDir, '--etcd-endpoints', etcd.endpoint, '--data-dir', dataDir, '--no-controllers', '--log-level', 'warn'], { stdio: 'inherit' });
  const stopAll = async (): Promise<void> => {
    if (cp.exitCode === null && cp.signalCode === null) {
      cp.kill('SIGTERM');
      await new Promise((resolve) => cp.once('exit', resolve));
    }
    await etcd.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const onSignal = (): void => void stopAll().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const raw = connectRawEtcd(etcd.endpoint);
  const api = await testClusterClient(server);
  try {
    await eventually(() => api.list({ resource: 'namespaces' }), 20_000, 100);
    // Warm both paths so connection set-up is not measured.
    await run(api, raw, Math.max(...CONCURRENCIES), 'warm');
    const results = new Map<number, RunResult[]>(CONCURRENCIES.map((c) => [c, []]));
    for (let r = 1; r <= RUNS; r++) for (const c of CONCURRENCIES) results.get(c)?.push(await run(api, raw, c, `c${c}r${r}`));
    const all = [...results.values()].flat();
    console.log(`store benchmark: ${OBJECTS} Pods per run, ${RUNS} runs, one etcd member on loopback, API-only control plane; load average at start ${load.map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`  bytes per object in etcd: ${median(all.map((r) => r.valueBytes)).toFixed(0)} on both sides (the stored Pod; the Apply request carries ${podJson('api-c32r1-999').length} bytes of JSON)`);
    for (const [c, rs] of results) report(c, rs);
  } finally {
    api.close();
    raw.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}

await main();
