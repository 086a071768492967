/**
 * What the rollout benchmark measures with: a Deployment's status polled through ClusterAPI
 * (every 50 ms, each sample stamped with this machine's clock as it arrived), the moment a
 * rollout is complete as `rollout status` judges it, and wrk run in short windows back to back,
 * so the requests of a rollout's own duration can be counted.
 */
import { loadavg } from 'node:os';
import type { ClusterClient } from '../../cli/client.js';
import type { Deployment } from '../../proto/objects/apps.js';
import { nowMs, sleep } from './bench-cluster.js';
import { runIn } from './bench-netns.js';
import { NS } from './rollout-objects.js';

/** rolledOut: the Deployment runs `image` on every replica, all available, none of an older revision left (rollout status's test). */
export function rolledOut(d: Deployment, image: string): boolean {
  const replicas = d.spec.replicas ?? 1;
  const s = d.status;
  return (
    d.spec.template.spec.containers[0]?.image === image &&
    (s?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
    s?.updatedReplicas === replicas &&
    s.replicas === replicas &&
    s.availableReplicas === replicas
  );
}

/** untilDeployment polls Deployment `name` until `check` holds and returns it with the arrival time of the sample that showed it. */
export async function untilDeployment(client: ClusterClient, name: string, what: string, check: (d: Deployment) => boolean, timeoutMs = 180_000, onSample?: (d: Deployment, atMs: number) => void): Promise<{ d: Deployment; atMs: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = (await client.get('deployments', NS, name)) as Deployment;
    const atMs = nowMs();
    onSample?.(d, atMs);
    if (check(d)) return { d, atMs };
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(d.status)}`);
    await sleep(50);
  }
}

/** WrkWindow is one wrk run: requests completed, how long it ran, and failed requests (socket errors, non-2xx). */
export interface WrkWindow {
  requests: number;
  seconds: number;
  errors: number;
  load1: number;
}

const UNIT_SECONDS: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60 };

/** wrkWindow runs wrk (1 thread, keep-alive, 2 s request timeout) for `seconds` inside `netns`. */
export async function wrkWindow(netns: string, url: string, seconds: number, connections: number): Promise<WrkWindow> {
  const r = await runIn(netns, ['wrk', '-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '2s', url], (seconds + 30) * 1000);
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(r.stdout);
  if (r.code !== 0 || !total) throw new Error(`wrk ${url} failed (${r.code}): ${r.stderr || r.stdout}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  const errors = (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0) + Number(non2xx?.[1] ?? 0);
  return { requests: Number(total[1]), seconds: Number(total[2]) * (UNIT_SECONDS[total[3] ?? 's'] ?? 1), errors, load1: loadavg()[0] ?? NaN };
}

/** The sum of windows: requests/s over their whole time, and their failed requests. */
export function summed(windows: WrkWindow[]): { requestsPerSecond: number; requests: number; errors: number } {
  const requests = windows.reduce((n, w) => n + w.requests, 0);
  const seconds = windows.reduce((n, w) => n + w.seconds, 0);
  return { requestsPerSecond: seconds > 0 ? requests / seconds : NaN, requests, errors: windows.reduce((n, w) => n + w.errors, 0) };
}

/** wrkWhile runs 1-second wrk windows back to back until `done()` says stop (checked between windows). */
export async function wrkWhile(netns: string, url: string, connections: number, done: () => boolean): Promise<WrkWindow[]> {
  const windows: WrkWindow[] = [];
  while (!done()) windows.push(await wrkWindow(netns, url, 1, connections));
  return windows;
}
