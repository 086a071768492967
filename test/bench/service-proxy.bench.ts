/**
 * Service proxy benchmark: how long one endpoint change takes to be programmed in nftables with
 * many Services in the table (the figure: 1,000 Services / 10,000 endpoints, p99).
 *
 *   node dist/test/bench/service-proxy.bench.js [--services 1000] [--endpoints 10] [--changes 200]
 *
 * It makes a network namespace and runs itself inside it (nsenter --net), as the agent runs in
 * its node's namespace, so nft is started exactly as the agent starts it. It programs the
 * Services (the first reconcile), then changes one endpoint of a random Service at a time and
 * measures from the change reaching the cache to the transaction being committed (p50/p99/max),
 * then restarts the proxy over the full table (the restart reconcile). Prints figures only.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CommandNft } from '../../node-agent/services/nft-runner.js';
import { ServiceCache } from '../../node-agent/services/service-cache.js';
import { ServiceProxy, type SyncReport } from '../../node-agent/services/service-proxy.js';
import { silentLogger } from '../support/logger.js';
import { service, slice } from '../support/service-objects.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    endpoints: { type: 'string', default: '10' },
    changes: { type: 'string', default: '200' },
    inside: { type: 'boolean', default: false },
  },
});
const SERVICES = Number(values.services);
const ENDPOINTS = Number(values.endpoints);
const CHANGES = Number(values.changes);

const ip = (base: number, n: number) => `${base}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
/** childCpuSeconds is the CPU time (user + system) of this process's reaped children so far: the nft commands. */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // cutime and cstime are fields 16 and 17 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** The endpoints Service `s` starts with (at most 64 per Service). */
function endpointsOf(s: number) {
  return Array.from({ length: ENDPOINTS }, (_, e) => ({ ip: ip(10, 0x40000 + s * 64 + e) }));
}

async function measure(): Promise<void> {
  const cache = new ServiceCache();
  let waiting: ((r: SyncReport) => void) | undefined;
  const proxy = new ServiceProxy(cache, new CommandNft(), silentLogger(), (r) => waiting?.(r));
  const next = () => new Promise<SyncReport>((resolve) => (waiting = resolve));
  const seen = new Set<string>();
  for (let s = 0; s < SERVICES; s++) {
    const svc = service(`svc-${s}`, { clusterIP: ip(10, 0x600000 + s), ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }, 'bench');
    const sl = slice(`svc-${s}`, `svc-${s}-a`, [{ name: 'http', port: 8080 }], endpointsOf(s), 'bench');
    cache.upsert(svc);
    cache.upsert(sl);
    seen.add(`Service/bench/svc-${s}`).add(`EndpointSlice/bench/svc-${s}-a`);
  }
  proxy.start();
  let report = next();
  cache.listed(seen);
  const first = await report;
  console.log(`initial program: ${SERVICES} services, ${SERVICES * ENDPOINTS} endpoints, ${first.commands} commands in ${fmt(first.applyMs)}`);

  const latencies: number[] = [];
  const applies: number[] = [];
  const nftCpu0 = childCpuSeconds();
  const ownCpu0 = process.cpuUsage();
  for (let i = 0; i < CHANGES; i++) {
    const s = Math.floor(Math.random() * SERVICES);
    const eps = endpointsOf(s);
    // One endpoint replaced by a fresh address (as a pod replaced by another).
    eps[0] = { ip: ip(10, 0x800000 + i) };
    report = next();
    cache.upsert(slice(`svc-${s}`, `svc-${s}-a`, [{ name: 'http', port: 8080 }], eps, 'bench'));
    const r = await report;
    latencies.push(...r.latenciesMs);
    applies.push(r.applyMs);
  }
  const nftCpuMs = ((childCpuSeconds() - nftCpu0) * 1000) / CHANGES;
  const own = process.cpuUsage(ownCpu0);
  const ownCpuMs = (own.user + own.system) / 1000 / CHANGES;
  latencies.sort((a, b) => a - b);
  applies.sort((a, b) => a - b);
  console.log(`one endpoint change → rules committed, ${CHANGES} changes: p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))}, max ${fmt(latencies[latencies.length - 1] ?? NaN)} (nft alone: p50 ${fmt(percentile(applies, 50))}, p99 ${fmt(percentile(applies, 99))})`);
  console.log(`CPU per change: nft ${nftCpuMs.toFixed(1)} ms, the proxy itself ${ownCpuMs.toFixed(2)} ms (the figures above include waiting for a CPU on a shared machine)`);
  proxy.stop();

  const restarted = new ServiceProxy(cache, new CommandNft(), silentLogger(), (r) => waiting?.(r));
  const t0 = performance.now();
  report = next();
  restarted.start();
  const again = await report;
  console.log(`restart reconcile (read the table, compare, ${again.commands} commands): ${fmt(performance.now() - t0)}`);
  restarted.stop();
}

if (values.inside) {
  await measure();
} else {
  const ns = `bb${randomBytes(3).toString('hex')}-proxy`;
  const sh = (args: string[]) => {
    const r = spawnSync('ip', args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed`);
  };
  sh(['netns', 'add', ns]);
  try {
    const argv = [`--net=/run/netns/${ns}`, '--', process.execPath, fileURLToPath(import.meta.url), '--inside', '--services', String(SERVICES), '--endpoints', String(ENDPOINTS), '--changes', String(CHANGES)];
    const r = spawnSync('nsenter', argv, { stdio: 'inherit', timeout: 600_000 });
    if (r.status !== 0) process.exitCode = 1;
  } finally {
    sh(['netns', 'delete', ns]);
  }
}
