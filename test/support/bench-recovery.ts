/**
 * Recovery on a real local cluster, phases of the cluster benchmark:
 * - restart: pods running `sleep 3600`, each killed once (its first crash, so the restart is
 *   immediate by the documented schedule): SIGKILL to the container's host pid → the next
 *   instance's process started (berth-runtime's startedAt of instance N+1, found by watching for
 *   its state file; no polling through the API), and → visible in the API.
 * - failover: that Deployment scaled up; the last node dies like a machine (agent SIGKILLed, then
 *   every container's init and monitor) → every replica Running on the other nodes, with the
 *   control plane's default --node-grace-period (5 s).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Node } from '../../proto/objects/cluster.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import { killNode, killProcess, nowMs, parseTimeMs, runtimeState, runtimeStateRoot, sleep } from './bench-cluster.js';
import { NS, type BenchContext } from './bench-context.js';
import { defined, isRunningReady, ms, row, sleepDeployment, watchObjects } from './bench-pods.js';

const NODES = 3;

async function apply(b: BenchContext, objects: BerthObject[]): Promise<void> {
  const reply = await b.client.apply({ documents: objects.map((o, i) => ({ source: 'bench', index: i + 1, json: JSON.stringify(o) })) });
  if (reply.errors.length > 0) throw new Error(`apply failed: ${reply.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
}

async function waitFile(path: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await sleep(1);
  }
  return nowMs();
}

/** restart measures kill → restarted for `restarts` pods (a Deployment named "restart", left running for failover). */
export async function restart(b: BenchContext, restarts: number): Promise<void> {
  console.log(`\n(2) restart: ${restarts} pods running sleep 3600, each container's host pid killed once (SIGKILL)`);
  await apply(b, [sleepDeployment('restart', NS, restarts)]);
  await b.pods.until(`${restarts} restart pods Running`, () => b.pods.of('restart', true).filter((t) => isRunningReady(t.latest)).length === restarts, 180_000);
  await sleep(1000);
  const toStart: number[] = [];
  const toExitRecorded: number[] = [];
  const exitToStart: number[] = [];
  const toFileSeen: number[] = [];
  const toVisible: number[] = [];
  for (const trace of b.pods.of('restart', true).sort((x, y) => x.name.localeCompare(y.name))) {
    const node = b.node(trace.latest.spec.nodeName);
    const status = trace.latest.status?.containerStatuses?.[0];
    const id = status?.containerID?.replace(/^berth:\/\//, '');
    const state = id ? runtimeState(node, id) : undefined;
    if (!status || !id || state?.status !== 'running') {
      console.log(`  skipped ${trace.name}: its container is not running (${state?.status ?? 'unknown'})`);
      continue;
    }
    const next = `${trace.uid}_main_${status.restartCount + 1}`;
    const killedAt = nowMs();
    killProcess(state.pid);
    const fileSeen = await waitFile(join(runtimeStateRoot(node), next, 'started'), 10_000);
    const visible = await b.pods.until(`${trace.name} restarted in the API`, () => {
      const s = trace.latest.status?.containerStatuses?.[0];
      return s?.containerID === `berth://${next}` && s.state?.running !== undefined;
    }, 10_000);
    const nextState = runtimeState(node, next);
    const startedAt = parseTimeMs(nextState?.startedAt);
    const finishedAt = parseTimeMs(runtimeState(node, id)?.finishedAt);
    if (nextState?.status !== 'running') console.log(`  note: ${next} is ${nextState?.status ?? 'gone'} after its start`);
    if (startedAt !== undefined) toStart.push(startedAt - killedAt);
    if (finishedAt !== undefined) toExitRecorded.push(finishedAt - killedAt);
    if (finishedAt !== undefined && startedAt !== undefined) exitToStart.push(startedAt - finishedAt);
    toFileSeen.push(fileSeen - killedAt);
    if (startedAt !== undefined) toVisible.push(visible - startedAt);
    await sleep(300);
  }
  console.log(row(`kill → new process started (${toStart.length} samples)`, toStart, 'target p50 < 100 ms'));
  console.log('  where the time goes:');
  console.log(`  ${row('kill → exit recorded by the monitor', toExitRecorded)}`);
  console.log(`  ${row('exit recorded → next instance started (agent)', exitToStart)}`);
  console.log(`  ${row('(kill → bench saw the start file, 1 ms poll)', toFileSeen)}`);
  console.log(`  ${row('started → restart visible through the API', toVisible)}`);
}

/** failover scales the "restart" Deployment to `replicas`, kills the last node and measures until every replica runs elsewhere. */
export async function failover(b: BenchContext, replicas: number): Promise<void> {
  console.log(`\n(3) node-loss failover: ${replicas} replicas on ${NODES} nodes, one node dies (node grace period: the default, 5 s)`);
  await b.client.scale('deployments', NS, 'restart', replicas);
  const liveRunning = (exclude?: string) => b.pods.of('restart', true).filter((t) => isRunningReady(t.latest) && t.latest.spec.nodeName !== exclude).length;
  await b.pods.until(`${replicas} Running`, () => liveRunning() === replicas, 180_000);
  await sleep(2000);
  const victim = b.cluster.nodes[NODES - 1]!;
  const before = new Set(b.pods.of('restart').map((t) => t.uid));
  const lost = b.pods.of('restart', true).filter((t) => t.latest.spec.nodeName === victim.name);
  let notReadyMs: number | undefined;
  const stopNodeWatch = watchObjects(b.cluster, 'nodes', '', (_type, object) => {
    const ready = (object as Node).status?.conditions?.find((c) => c.type === 'Ready');
    if (object.metadata.name === victim.name && ready && ready.status !== 'True') notReadyMs ??= nowMs();
  });
  await sleep(500);
  const { killedAtMs, containers } = killNode(victim);
  try {
    const done = await b.pods.until('replacements Running', () => liveRunning(victim.name) >= replicas, 180_000);
    const replacements = b.pods.of('restart').filter((t) => !before.has(t.uid));
    const since = (x: number | undefined) => (x === undefined ? 'n/a' : ms(x - killedAtMs).trim());
    const last = (xs: Array<number | undefined>) => (defined(xs).length ? Math.max(...defined(xs)) : undefined);
    const first = (xs: Array<number | undefined>) => (defined(xs).length ? Math.min(...defined(xs)) : undefined);
    console.log(`  ${victim.name} killed: agent pid ${victim.agentPid} and ${containers} container instances (init + monitor); ${lost.length} of its pods to replace`);
    console.log(`  node kill → all ${replicas} replicas Running on the other nodes: ${ms(done - killedAtMs).trim()}   target < 10 s (Kubernetes defaults: ~340 s)`);
    console.log('  milestones after the kill (seen through ClusterAPI watches):');
    console.log(`    node NotReady                    ${since(notReadyMs)}`);
    console.log(`    lost pods Failed (first / last)  ${since(first(lost.map((t) => t.failedSeenMs)))} / ${since(last(lost.map((t) => t.failedSeenMs)))}`);
    console.log(`    replacements created (first/last) ${since(first(replacements.map((t) => t.addedMs)))} / ${since(last(replacements.map((t) => t.addedMs)))}  (${replacements.length} pods)`);
    console.log(`    replacements bound (last)        ${since(last(replacements.map((t) => t.boundMs)))}`);
    console.log(`    replacements started (last)      ${since(last(replacements.map((t) => t.startedAtMs)))}`);
    console.log(`    replacements Running seen (last) ${since(last(replacements.map((t) => t.runningSeenMs)))}`);
    const afterNotReady = defined(replacements.map((t) => t.runningSeenMs)).map((x) => x - (notReadyMs ?? killedAtMs));
    console.log(`  ${row('NotReady → replacement Running (per pod)', afterNotReady)}`);
  } finally {
    stopNodeWatch();
  }
}
