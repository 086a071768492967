import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { Node } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import { isAlive } from '../support/processes.js';
import { restartAgent, restartControlPlane, type LocalClusterHandle } from '../support/local-cluster.js';
import { apply, deployment, getJson, hostPid, isRunning, pod, pods, run, SLEEP, useSharedCluster, waitFor } from '../support/e2e-cluster.js';

/** What a user sees of a pod that must not have been restarted: its name, node, restart count and container pid. */
function fingerprint(cluster: LocalClusterHandle, items: Pod[]): Array<[string, string, number, number]> {
  return items
    .map((p): [string, string, number, number] => [p.metadata.name, p.spec.nodeName ?? '', p.status?.containerStatuses?.[0]?.restartCount ?? -1, hostPid(cluster, p)])
    .sort((a, b) => a[0].localeCompare(b[0]));
}

/** stays checks an assertion for a while (state that must NOT change), polling every 200 ms. */
async function stays(assertion: () => Promise<void>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  do {
    await assertion();
    await sleep(200);
  } while (Date.now() < end);
}

async function runningSteady(cluster: LocalClusterHandle, count: number): Promise<Pod[]> {
  return waitFor(async () => {
    const items = await pods(cluster, 'app=steady');
    expect(items).to.have.length(count);
    for (const p of items) expect(isRunning(p), p.metadata.name).to.equal(true);
    return items;
  });
}

function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

function registrations(root: string): number {
  return readFileSync(join(root, 'agent.log'), 'utf8').split('node registered').length - 1;
}

/**
 * delaysBeforeCap is the delay before each instance n seen after instance n-1 (from its finish to
 * n's start), up to instance 7: the back-off grows until then and stays at its 5 s cap after
 * (restart-backoff.ts), where equal delays would say nothing about growth.
 */
function delaysBeforeCap(instances: ReadonlyMap<number, { startedAt: string; finishedAt: string }>): Array<[number, number]> {
  const gaps: Array<[number, number]> = [];
  for (const [n, run] of [...instances.entries()].sort((a, b) => a[0] - b[0])) {
    const prev = instances.get(n - 1);
    if (n >= 2 && n <= 7 && prev) gaps.push([n, Date.parse(run.startedAt) - Date.parse(prev.finishedAt)]);
  }
  return gaps;
}

describe('e2e: crashes and restarts', function () {
  this.timeout(120_000);
  let cluster: LocalClusterHandle;

  useSharedCluster((c) => (cluster = c), (c) => run(c, ['delete', 'deployment', 'victim', 'crashloop', 'steady', 'probe', '--ignore-not-found']));

  it('restarts a container whose main process is killed with -9: Running again, restartCount 1', async () => {
    await apply(cluster, deployment('victim', 1, SLEEP));
    const [before] = await waitFor(async () => {
      const items = await pods(cluster, 'app=victim');
      expect(items.filter(isRunning)).to.have.length(1);
      return items;
    });
    const pid = hostPid(cluster, before!);
    process.kill(pid, 'SIGKILL');
    const after = await waitFor(async () => {
      const p = await pod(cluster, before!.metadata.name);
      expect(p.status?.containerStatuses?.[0]?.restartCount).to.equal(1);
      expect(isRunning(p)).to.equal(true);
      return p;
    });
    expect(after.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).to.equal(137);
    expect(hostPid(cluster, after)).to.not.equal(pid);
  });

  it('shows a crash-looping container as CrashLoopBackOff, with growing delays between restarts', async () => {
    await apply(cluster, deployment('crashloop', 1, ['sh', '-c', 'exit 1']));
    // instance → when it started and finished, from lastState as the user sees it in `berth get`.
    const instances = new Map<number, { startedAt: string; finishedAt: string }>();
    const backoffs: string[] = [];
    await waitFor(async () => {
      const [p] = await pods(cluster, 'app=crashloop');
      const status = p?.status?.containerStatuses?.[0];
      const last = status?.lastState?.terminated;
      const instance = Number(/_(\d+)$/.exec(last?.containerID ?? '')?.[1]);
      if (last?.startedAt && last.finishedAt && Number.isInteger(instance)) instances.set(instance, { startedAt: last.startedAt, finishedAt: last.finishedAt });
      const waiting = status?.state?.waiting;
      if (waiting?.reason === 'CrashLoopBackOff') backoffs.push(waiting.message ?? '');
      // Restart 6 follows a 4 s delay, the last one below the cap (restart-backoff.ts).
      expect(status?.restartCount ?? 0).to.be.at.least(6);
      expect(backoffs.length).to.be.at.least(1);
      // Sampling may miss a short-lived early instance: look until three delays in a row are seen.
      expect(delaysBeforeCap(instances).length).to.be.at.least(3);
    }, 60_000);
    const gaps = delaysBeforeCap(instances);
    const detail = JSON.stringify({ instances: [...instances.entries()], gaps, backoffs });
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]![1], detail).to.be.greaterThan(gaps[i - 1]![1]);
    // The delays the CrashLoopBackOff messages announce grow too.
    for (const m of backoffs) expect(m, detail).to.match(/^back-off \S+ restarting failed container=main pod=crashloop-/);
    const announced = backoffs.map((m) => durationMs(/^back-off (\S+)/.exec(m)?.[1] ?? ''));
    for (let i = 1; i < announced.length; i++) expect(announced[i]!, detail).to.be.at.least(announced[i - 1]!);
    expect(new Set(announced).size, detail).to.be.at.least(3);
  });

  it('restarting the agents keeps their containers (same PIDs) and counts no restart', async () => {
    await apply(cluster, deployment('steady', 3, SLEEP));
    const before = fingerprint(cluster, await runningSteady(cluster, 3));
    const registered = cluster.nodes.map((n) => registrations(n.root));
    await Promise.all(cluster.nodes.map((n) => restartAgent(cluster, n.name)));
    // Each new agent re-adopted its pods, registered again and renewed its lease.
    await waitFor(async () => {
      cluster.nodes.forEach((n, i) => expect(registrations(n.root), n.name).to.be.greaterThan(registered[i]!));
      const { items } = await getJson<{ items: Node[] }>(cluster, ['nodes']);
      for (const node of items) {
        const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
        expect(ready?.status, node.metadata.name).to.equal('True');
      }
    });
    await stays(async () => {
      const now = await runningSteady(cluster, 3);
      expect(fingerprint(cluster, now)).to.deep.equal(before);
      for (const [, , , pid] of before) expect(isAlive(pid)).to.equal(true);
    }, 2_000);
  });

  it('restarting the control plane restarts nothing: same pods, PIDs and restart counts', async () => {
    const before = fingerprint(cluster, await runningSteady(cluster, 3));
    await restartControlPlane(cluster);
    // The new control plane leads again when a new Deployment runs (scheduler and controllers at work).
    await apply(cluster, deployment('probe', 1, SLEEP));
    await waitFor(async () => expect((await pods(cluster, 'app=probe')).filter(isRunning)).to.have.length(1), 60_000);
    await stays(async () => {
      const now = await runningSteady(cluster, 3);
      expect(fingerprint(cluster, now)).to.deep.equal(before);
    }, 1_000);
  });
});
