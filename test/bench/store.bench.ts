/**
 * Store benchmark: raw etcd put throughput with the etcd3 client, and ClusterAPI create
 * throughput (Apply of new objects through the berth-control-plane binary, over gRPC) at the
 * same concurrency, against the same fresh etcd, in one run. Prints both and their ratio.
 *
 *   node dist/test/bench/store.bench.js [--objects N] [--concurrency C]
 *
 * Both sides write the same JSON (a small Pod) so they move the same bytes into etcd. The control
 * plane runs as an API-only replica (--no-controllers): this measures the API path, not the
 * scheduler and controllers reacting to 3,000 pending pods (see scheduler.bench.ts for those).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClusterClient } from '../../cli/client.js';
import { connectEtcd } from '../../control-plane/store/etcd-client.js';
import { CONTROL_PLANE_BIN } from '../support/cli.js';
import { startTestEtcd } from '../support/etcd.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/wait.js';

const { values } = parseArgs({ options: { objects: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '32' } } });
const OBJECTS = Number(values.objects);
const CONCURRENCY = Number(values.concurrency);

function podJson(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'bench' } },
    spec: { containers: [{ name: 'c', image: 'busybox:1.35', command: ['sleep', '3600'] }] },
  });
}

/** runConcurrently runs `op(i)` for i in [0, n) with `concurrency` in flight; returns ops/s. */
async function runConcurrently(n: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await op(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return n / seconds;
}

async function main(): Promise<void> {
  const etcd = await startTestEtcd();
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-cp-'));
  const server = `127.0.0.1:${await freePort()}`;
  const cp = spawn(process.execPath, [...(process.env.BERTH_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BERTH_BENCH_CPU_PROF] : []), CONTROL_PLANE_BIN, '--listen', server, '--etcd-endpoints', etcd.endpoint, '--data-dir', dataDir, '--no-controllers', '--log-level', 'warn'], { stdio: 'inherit' });
  const raw = connectEtcd([etcd.endpoint]);
  const api = new ClusterClient(server);
  try {
    await eventually(() => api.list({ resource: 'namespaces' }), 20_000, 100);
    // Warm both paths so connection set-up is not measured.
    await runConcurrently(200, CONCURRENCY, (i) => raw.put(`/bench/warm/${i}`).value(podJson(`warm-${i}`)).exec());
    await runConcurrently(200, CONCURRENCY, (i) => api.apply({ documents: [{ source: 'bench', index: 1, json: podJson(`warm-${i}`) }] }));

    const rawRate = await runConcurrently(OBJECTS, CONCURRENCY, (i) => raw.put(`/bench/raw/${i}`).value(podJson(`raw-${i}`)).exec());
    const apiRate = await runConcurrently(OBJECTS, CONCURRENCY, async (i) => {
      const res = await api.apply({ documents: [{ source: 'bench', index: 1, json: podJson(`api-${i}`) }] });
      if (res.results[0]?.action !== 'CREATED') throw new Error(`object ${i} was not created: ${JSON.stringify(res.errors)}`);
    });

    console.log(`store benchmark: ${OBJECTS} objects, concurrency ${CONCURRENCY}, one etcd 3.4 member on loopback`);
    console.log(`  raw etcd put (etcd3 client)      ${rawRate.toFixed(0).padStart(7)} puts/s`);
    console.log(`  ClusterAPI create (Apply, gRPC)  ${apiRate.toFixed(0).padStart(7)} objects/s`);
    console.log(`  ratio ClusterAPI / raw etcd      ${(apiRate / rawRate * 100).toFixed(0).padStart(6)} %   (target >= 50 %)`);
  } finally {
    api.close();
    raw.close();
    cp.kill('SIGTERM');
    await new Promise((resolve) => cp.once('exit', resolve));
    await etcd.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
