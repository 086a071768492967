/**
 * Delete and scale-down as a user sees them: a Deployment of N replicas whose process exits on
 * SIGTERM (PROOF_COMMAND), with the default 30 s grace period, all Running; then the clock
 * starts as `berth delete deployment NAME` (or `berth scale deployment/NAME --replicas 0`) is
 * launched, and stops per pod when the pod object is gone (DELETED in the bench's ClusterAPI
 * watch) and when its containers are gone from its node (berth-runtime state and bundle
 * directory removed; polled every 50 ms).
 */
import { runBerth } from './bench-cli.js';
import { nowMs, sleep } from './bench-cluster.js';
import { containersLeft, NS, removeDeployment, type BenchContext } from './bench-context.js';
import { CACHED_IMAGE } from './bench-images.js';
import { defined, isRunningReady, ms, proofDeployment, quantile, row } from './bench-pods.js';

/** TeardownRun is one delete or scale-down; times are ms from the CLI's launch. */
export interface TeardownRun {
  cliExitedMs: number;
  terminatingSeen: number[];
  objectGone: number[];
  containersGone: number[];
}

/** How it is taken down: `berth delete` of the Deployment, or `berth scale` to 0. */
export type Teardown = 'delete' | 'scale';

/** teardownRun runs one measured delete (or scale to 0) of a `pods`-replica Deployment. */
export async function teardownRun(b: BenchContext, how: Teardown, pods: number, run: number): Promise<TeardownRun> {
  const name = `${how}-${pods}-${run}`;
  const reply = await b.client.apply({ documents: [{ source: 'bench', index: 1, json: JSON.stringify(proofDeployment(name, NS, pods, CACHED_IMAGE)) }] });
  if (reply.errors.length > 0) throw new Error(`apply ${name} failed: ${reply.errors.map((e) => e.message).join('; ')}`);
  try {
    await b.pods.until(`${pods} ${name} pods Running`, () => b.pods.of(name, true).filter((t) => isRunningReady(t.latest)).length === pods, 300_000);
    await sleep(1000);
    const traces = b.pods.of(name, true);
    const uids = new Set(traces.map((t) => t.uid));
    const containersGoneAt = new Map<string, number>();
    const t0 = nowMs();
    const cli = runBerth(b.cluster, how === 'delete' ? ['delete', 'deployment', name] : ['scale', `deployment/${name}`, '--replicas', '0']);
    const deadline = Date.now() + 300_000;
    for (;;) {
      const left = containersLeft(b.cluster.nodes, uids);
      const at = nowMs();
      for (const uid of uids) if (!left.has(uid)) containersGoneAt.set(uid, containersGoneAt.get(uid) ?? at);
      if (containersGoneAt.size === uids.size && traces.every((t) => t.deletedMs !== undefined)) break;
      if (Date.now() > deadline) throw new Error(`${how} ${name}: ${uids.size - containersGoneAt.size} pods' containers and ${traces.filter((t) => t.deletedMs === undefined).length} pod objects still there after 300 s`);
      await sleep(50);
    }
    const exited = await cli;
    return {
      cliExitedMs: exited.exitedMs - t0,
      terminatingSeen: defined(traces.map((t) => t.terminatingSeenMs)).map((x) => x - t0),
      objectGone: defined(traces.map((t) => t.deletedMs)).map((x) => x - t0),
      containersGone: [...containersGoneAt.values()].map((x) => x - t0),
    };
  } finally {
    await removeDeployment(b, name);
  }
}

/** reportTeardown prints the runs of one kind of teardown and their spread. */
export function reportTeardown(how: Teardown, pods: number, runs: TeardownRun[]): void {
  const command = how === 'delete' ? '`berth delete deployment NAME`' : '`berth scale deployment/NAME --replicas 0`';
  console.log(`\n${how === 'delete' ? 'delete' : 'scale-down'}: ${pods} Running replicas whose process exits on SIGTERM, default 30 s grace; clock from the launch of ${command}, ${runs.length} runs`);
  runs.forEach((r, i) => console.log(`    run ${i + 1}: all pod objects gone ${ms(Math.max(...r.objectGone)).trim()}, all containers gone ${ms(Math.max(...r.containersGone)).trim()}, CLI exited ${ms(r.cliExitedMs).trim()}`));
  const spread = (xs: number[]) => `${ms(Math.min(...xs)).trim()} / ${ms(quantile(xs, 0.5)).trim()} / ${ms(Math.max(...xs)).trim()}`;
  console.log(`  over the runs (min / median / max): all objects gone ${spread(runs.map((r) => Math.max(...r.objectGone)))}; all containers gone ${spread(runs.map((r) => Math.max(...r.containersGone)))}`);
  console.log('  per pod, all runs together:');
  const terminating = runs.flatMap((r) => r.terminatingSeen);
  if (terminating.length > 0) console.log(row('→ pod seen Terminating', terminating));
  else console.log('  (no pod was seen Terminating: each pod object went straight to DELETED, its containers were stopped after)');
  console.log(row('→ pod object gone (DELETED seen)', runs.flatMap((r) => r.objectGone)));
  console.log(row('→ its containers gone from the node', runs.flatMap((r) => r.containersGone)));
}
