/**
 * The network benchmark's load generators, each run inside a lab namespace and bounded in
 * time: wrk (HTTP requests/s against one URL), iperf3 (TCP throughput between two namespaces,
 * the server taking exactly one test), and the prober's paired mode (request latency of two
 * targets, alternated one request at a time).
 */
import { randomInt } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runIn, spawnIn, stopChild, waitForLine } from './bench-netns.js';

/** tcpExtCounter reads one TcpExt counter (/proc/net/netstat) of the network namespace at `netns`. */
export async function tcpExtCounter(netns: string, name: string): Promise<number> {
  const r = await runIn(netns, ['cat', '/proc/net/netstat'], 5_000);
  const [names, counts] = r.stdout.split('\n').filter((l) => l.startsWith('TcpExt:')).map((l) => l.split(/\s+/));
  const at = names?.indexOf(name) ?? -1;
  if (r.code !== 0 || at < 0) throw new Error(`no TcpExt ${name} in ${netns}: ${r.stderr}`);
  return Number(counts?.[at]);
}

/** WrkResult is one wrk run: requests/s, and how many requests failed (socket errors, non-2xx). */
export interface WrkResult {
  requestsPerSecond: number;
  errors: number;
  /** SYNs the client's namespace sent again (each stalls a connection for a second). */
  synRetransmits: number;
  /** The 1-minute load average when the run ended. */
  load1: number;
}

/** wrk runs `wrk` for `seconds` with `connections` connections on one thread inside `netns`. */
export async function wrk(netns: string, url: string, seconds: number, connections: number): Promise<WrkResult> {
  const synsBefore = await tcpExtCounter(netns, 'TCPSynRetrans');
  const r = await runIn(netns, ['wrk', '-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '2s', url], (seconds + 30) * 1000);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  if (r.code !== 0 || !rps) throw new Error(`wrk ${url} failed (${r.code}): ${r.stderr || r.stdout}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  const errors = (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0) + Number(non2xx?.[1] ?? 0);
  const synRetransmits = (await tcpExtCounter(netns, 'TCPSynRetrans')) - synsBefore;
  return { requestsPerSecond: Number(rps[1]), errors, synRetransmits, load1: loadavg()[0] ?? NaN };
}

/** IperfResult is one iperf3 test: what the receiver got, and both ends' CPU use as iperf3 reports it. */
export interface IperfResult {
  gbitsPerSecond: number;
  retransmits: number;
  senderCpuPercent: number;
  receiverCpuPercent: number;
  load1: number;
}

interface IperfJson {
  end?: {
    sum_received?: { bits_per_second?: number };
    sum_sent?: { retransmits?: number };
    cpu_utilization_percent?: { host_total?: number; remote_total?: number };
  };
  error?: string;
}

/**
 * iperf3 measures TCP throughput from `clientNetns` to `serverIp`, served from `serverNetns`
 * (a one-test server on a random port, bound to `serverIp`), for `seconds`.
 */
export async function iperf3(serverNetns: string, serverIp: string, clientNetns: string, seconds: number): Promise<IperfResult> {
  const port = String(randomInt(20_000, 30_000));
  const server = spawnIn(serverNetns, ['iperf3', '-s', '-1', '--forceflush', '-B', serverIp, '-p', port]);
  try {
    await waitForLine(server, /Server listening/, 10_000);
    const r = await runIn(clientNetns, ['iperf3', '-c', serverIp, '-p', port, '-t', String(seconds), '-J'], (seconds + 30) * 1000);
    const json = JSON.parse(r.stdout || '{}') as IperfJson;
    const bps = json.end?.sum_received?.bits_per_second;
    if (r.code !== 0 || bps === undefined) throw new Error(`iperf3 to ${serverIp} failed (${r.code}): ${json.error ?? r.stderr}`);
    return {
      gbitsPerSecond: bps / 1e9,
      retransmits: json.end?.sum_sent?.retransmits ?? 0,
      senderCpuPercent: json.end?.cpu_utilization_percent?.host_total ?? NaN,
      receiverCpuPercent: json.end?.cpu_utilization_percent?.remote_total ?? NaN,
      load1: loadavg()[0] ?? NaN,
    };
  } finally {
    await stopChild(server);
  }
}

/** PairedLatency is the latency of a new connection's request (connect to last byte), per target: p50 and p90 in ms. */
export interface PairedLatency {
  p50: [number, number];
  p90: [number, number];
  failed: number;
  load1: number;
}

/** pairedLatency runs network-prober.js --pairs in `netns`: `pairs` requests to each of two ADDRESS:PORT targets, alternated. */
export async function pairedLatency(netns: string, targets: [string, string], pairs: number): Promise<PairedLatency> {
  const script = fileURLToPath(new URL('../bench/network-prober.js', import.meta.url));
  const r = await runIn(netns, [process.execPath, script, '--pairs', String(pairs), '--target', targets[0], '--target', targets[1]], 300_000);
  if (r.code !== 0) throw new Error(`the paired prober failed (${r.code}): ${r.stderr}`);
  const times: [number[], number[]] = [[], []];
  let failed = 0;
  for (const line of r.stdout.trim().split('\n')) {
    const [start, end, result, target] = line.split(' ');
    if (result?.startsWith('ERR:')) failed++;
    else times[target === '1' ? 1 : 0].push(Number(end) - Number(start));
  }
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(p * xs.length) - 1)] ?? NaN;
  return { p50: [q(times[0], 0.5), q(times[1], 0.5)], p90: [q(times[0], 0.9), q(times[1], 0.9)], failed, load1: loadavg()[0] ?? NaN };
}
