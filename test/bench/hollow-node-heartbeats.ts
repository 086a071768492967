/**
 * The hollow-node heartbeat fleet, forked by startHeartbeatFleet (test/support/bench-hollow-nodes.ts):
 * one NodeClient per hollow node, each renewing its lease through NodeAPI.Heartbeat one
 * second (HEARTBEAT_INTERVAL_MS) after its previous heartbeat ended, exactly as the agent's
 * NodeLease does; the first heartbeats are spread over --ramp-ms. Its own process, as agents live outside the control plane. Each node presents
 * its own certificate (as each agent does), so each has its own TLS connection.
 *
 *   IPC: sends {type:'started'} once every node's first heartbeat was answered; on {type:'stop'} sends
 *   {type:'stats', data: HeartbeatStats} and exits.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NodeClient } from '../../node-agent/agent/node-client.js';
import { HEARTBEAT_INTERVAL_MS } from '../../node-agent/agent/node-lease.js';
import { hollowNodeName, type HeartbeatStats, type HollowNodeCredentials } from '../support/bench-hollow-nodes.js';

const { values } = parseArgs({ options: { server: { type: 'string' }, nodes: { type: 'string', default: '1000' }, 'ramp-ms': { type: 'string', default: '5000' }, credentials: { type: 'string' } } });
if (!values.server || !values.credentials || !process.send) throw new Error('hollow-node-heartbeats is started by startHeartbeatFleet (needs --server, --credentials and an IPC channel)');
const CREDENTIALS = JSON.parse(readFileSync(values.credentials, 'utf8')) as HollowNodeCredentials;
const SERVER = values.server;
const NODES = Number(values.nodes);
/** First heartbeats are spread over this long, as agents of a cluster do not all start in the same second. */
const RAMP_MS = Number(values['ramp-ms']);
const SAMPLE = 20_000;

let stopping = false;
const timers = new Set<NodeJS.Timeout>();
const latencies: number[] = [];
const lastOk = new Map<number, number>();
let beats = 0;
let failures = 0;
let firstError: string | undefined;
let maxGapMs = 0;
/** Nodes whose first heartbeat has been answered (successfully or not). */
let firstAnswered = 0;
const startedAt = performance.now();

async function beat(i: number, client: NodeClient, first: boolean): Promise<void> {
  const t = performance.now();
  try {
    await client.heartbeat();
    const done = performance.now();
    beats++;
    // Reservoir sampling keeps a fair sample of latencies over the whole run.
    if (latencies.length < SAMPLE) latencies.push(done - t);
    else if (Math.random() < SAMPLE / beats) latencies[Math.floor(Math.random() * SAMPLE)] = done - t;
    const previous = lastOk.get(i);
    if (previous !== undefined) maxGapMs = Math.max(maxGapMs, done - previous);
    lastOk.set(i, done);
  } catch (err) {
    failures++;
    firstError ??= String(err);
  }
  if (first && ++firstAnswered === NODES) process.send?.({ type: 'started', data: { failures, firstError } });
  if (stopping) return;
  const timer = setTimeout(() => {
    timers.delete(timer);
    void beat(i, client, false);
  }, HEARTBEAT_INTERVAL_MS);
  timers.add(timer);
}

const clients = Array.from({ length: NODES }, (_, i) => {
  const tls = CREDENTIALS[i];
  if (!tls) throw new Error(`--credentials has no certificate for ${hollowNodeName(i)}`);
  return new NodeClient(SERVER, hollowNodeName(i), tls);
});
clients.forEach((client, i) => {
  const timer = setTimeout(() => {
    timers.delete(timer);
    void beat(i, client, true);
  }, (i * RAMP_MS) / NODES);
  timers.add(timer);
});

process.on('message', (m: { type?: string }) => {
  if (m.type !== 'stop') return;
  stopping = true;
  for (const t of timers) clearTimeout(t);
  const stats: HeartbeatStats = { nodes: NODES, seconds: (performance.now() - startedAt) / 1000, beats, failures, latencies, maxGapMs, ...(firstError ? { firstError } : {}) };
  process.send?.({ type: 'stats', data: stats }, () => {
    for (const c of clients) c.close();
    process.exit(0);
  });
});
// The bench died without stopping us: do not outlive it.
process.on('disconnect', () => process.exit(0));
