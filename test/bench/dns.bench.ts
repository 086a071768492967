/**
 * Node DNS benchmark with dnsperf (Debian's `dnsperf`): latency at a steady 1,000 queries/s
 * (p50/p99/max from dnsperf's per-query report) and the most queries/s the server answers on
 * one core.
 *
 *   node dist/test/bench/dns.bench.js [--services 1000] [--seconds 10]
 *
 * The server runs as in the agent (ClusterZone fed by a ServiceCache, DnsServer) in a process
 * of its own (with the agent's V8 and malloc settings, from its #! line), listening on the host end of a veth pair into a network namespace made for the
 * run; dnsperf runs inside that namespace and stops by itself (-l). For the maximum, the server
 * is pinned to CPU 0 and dnsperf to CPU 1; the latency run pins neither. Queries: the Services' names (A), and one in ten an unknown name (NXDOMAIN). Prints
 * figures only; the namespace and the server go at the end, also on failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ClusterZone } from '../../node-agent/dns/cluster-zone.js';
import { DnsServer } from '../../node-agent/dns/dns-server.js';
import { feedZone } from '../../node-agent/dns/zone-feed.js';
import { ServiceCache } from '../../node-agent/services/service-cache.js';
import { agentLaunch } from '../../cli/local-cluster/paths.js';
import { silentLogger } from '../support/logger.js';
import { service } from '../support/service-objects.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    serve: { type: 'string' },
  },
});
const SERVICES = Number(values.services);
const SECONDS = Number(values.seconds);

function run(file: string, args: string[], timeoutMs = 120_000): string {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** --serve ADDRESS: the server process. */
async function serve(address: string): Promise<void> {
  const cache = new ServiceCache();
  const zone = new ClusterZone('cluster.local');
  feedZone(cache, zone);
  for (let s = 0; s < SERVICES; s++) cache.upsert(service(`svc-${s}`, { clusterIP: `10.96.${s >> 8}.${s & 255}`, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }, 'bench'));
  const server = new DnsServer({ address, port: 53, zone, logger: silentLogger() });
  await server.start();
  process.stdout.write('listening\n');
  process.on('SIGTERM', () => {
    server.stop();
    process.stdout.write(`${JSON.stringify(server.counters)}\n`);
    process.exit(0);
  });
}

/** cpuSeconds is the CPU time a process used so far (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const field = (out: string, label: string) => out.match(new RegExp(`${label}:\\s+([\\d.]+)`))?.[1] ?? '?';

async function orchestrate(): Promise<void> {
  const tag = randomBytes(3).toString('hex');
  const ns = `bb${tag}-dns`;
  const hostIf = `bb${tag}h`;
  const subnet = `10.198.${randomInt(0, 256)}`;
  const address = `${subnet}.1`;
  const dir = mkdtempSync(join(tmpdir(), 'berth-dns-bench-'));
  const queries = join(dir, 'queries.txt');
  writeFileSync(queries, Array.from({ length: SERVICES }, (_, s) => (s % 10 === 9 ? `nosuch-${s}.bench.svc.cluster.local A` : `svc-${s}.bench.svc.cluster.local A`)).join('\n') + '\n');
  run('ip', ['netns', 'add', ns]);
  let server: ReturnType<typeof spawn> | undefined;
  try {
    run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    run('ip', ['addr', 'add', `${address}/24`, 'dev', hostIf]);
    run('ip', ['link', 'set', hostIf, 'up']);
    run('ip', ['-n', ns, 'addr', 'add', `${subnet}.2/24`, 'dev', 'eth0']);
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // The agent serves DNS in its own process, so the server runs with the agent's V8 and malloc settings.
    const agent = agentLaunch();
    server = spawn(process.execPath, [...agent.nodeOptions, fileURLToPath(import.meta.url), '--serve', address, '--services', String(SERVICES)], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...agent.env } });
    await new Promise<void>((resolve, reject) => {
      server?.stdout?.once('data', () => resolve());
      server?.once('exit', (code) => reject(new Error(`the DNS server exited (${code})`)));
    });
    const dnsperf = (args: string[], cpu?: number) =>
      run('nsenter', [`--net=/run/netns/${ns}`, '--', ...(cpu !== undefined ? ['taskset', '-c', String(cpu)] : []), 'dnsperf', '-s', address, '-d', queries, '-l', String(SECONDS), ...args], (SECONDS + 30) * 1000);

    const steady = dnsperf(['-Q', '1000', '-v']);
    const latencies = [...steady.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1000).sort((a, b) => a - b);
    console.log(`DNS at 1,000 q/s for ${SECONDS} s (${latencies.length} answers, ${SERVICES} Services): p50 ${percentile(latencies, 50).toFixed(3)} ms, p99 ${percentile(latencies, 99).toFixed(3)} ms, max ${(latencies[latencies.length - 1] ?? NaN).toFixed(3)} ms; lost ${field(steady, 'Queries lost')}`);

    const pid = server.pid ?? 0;
    run('taskset', ['-pc', '0', String(pid)]);
    const cpuBefore = cpuSeconds(pid);
    const flood = dnsperf(['-c', '4', '-q', '200'], 1);
    const cpu = cpuSeconds(pid) - cpuBefore;
    const completed = Number(field(flood, 'Queries completed'));
    console.log(`DNS max on one core (server pinned to CPU 0, dnsperf to CPU 1): ${Number(field(flood, 'Queries per second')).toFixed(0)} q/s, ${completed} completed, ${field(flood, 'Queries lost')} lost, average latency ${(Number(field(flood, 'Average Latency \\(s\\)')) * 1000).toFixed(2)} ms`);
    // What one fully available core would do: answers per CPU-second the server used (the machine may be shared).
    console.log(`DNS server CPU: ${cpu.toFixed(2)} CPU-s for ${completed} answers = ${(completed / cpu).toFixed(0)} answers per CPU-second`);
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server?.once('exit', resolve));
    }
    spawnSync('ip', ['netns', 'delete', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.serve !== undefined) await serve(values.serve);
else await orchestrate();
