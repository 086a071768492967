/**
 * teardown undoes a recorded local cluster, in the reverse order of `berth up`: agents, their
 * containers, pod namespaces, mounts and cgroups, then the control plane and its etcd, the
 * registry, the node namespaces and the bridge, and last the state directory. Every step
 * checks before it acts, so it is safe after a crash, halfway through an `up`, or twice.
 */
import { existsSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.js';
import { listNetns, removeBridge, removeNodeNamespace } from './lab-network.js';
import { deleteContainers, mountsUnder, removeCgroupParent, removePodNetns, unmountAll } from './node-cleanup.js';
import { isRunning, stopProcess } from './processes.js';
import type { ClusterRecord } from './record.js';

/** teardown removes everything `record` names; `log` gets one line per kind of thing removed. */
export async function teardown(record: ClusterRecord, log: (line: string) => void): Promise<void> {
  const problems: string[] = [];
  const step = async (what: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };

  await Promise.all(record.nodes.map((n) => step(`stop the agent of ${n.name}`, async () => {
    if (n.agentPid) await stopProcess(n.agentPid, n.root, 10_000);
  })));
  const allNetns = await listNetns().catch(() => []);
  for (const n of record.nodes) {
    await step(`remove the containers of ${n.name}`, async () => {
      const netnsPaths = await deleteContainers(n.root);
      await removePodNetns(n.root, netnsPaths, n.netns, allNetns);
      await unmountAll(n.root);
    });
  }
  for (const n of record.nodes) await step(`remove the cgroup ${n.cgroupParent}`, () => removeCgroupParent(n.cgroupParent));
  await step(`remove the cgroup ${record.cgroupRoot}`, () => removeCgroupParent(record.cgroupRoot));
  if (record.nodes.some((n) => n.agentPid)) log(`Stopped ${record.nodes.length} node agent(s) and removed their containers, mounts and cgroups.`);

  await step('stop the control plane', async () => {
    if (record.controlPlanePid && isRunning(record.controlPlanePid, record.controlPlaneDataDir)) {
      await stopProcess(record.controlPlanePid, record.controlPlaneDataDir);
      log(`Stopped the control plane (pid ${record.controlPlanePid}) and its etcd.`);
    }
    await stopOrphanEtcd(record.controlPlaneDataDir);
  });
  await step('stop the registry', async () => {
    if (record.registry?.pid && isRunning(record.registry.pid, record.registry.config)) {
      await stopProcess(record.registry.pid, record.registry.config, 5_000);
      log(`Stopped the image registry (pid ${record.registry.pid}).`);
    }
  });
  for (const n of record.nodes) await step(`remove the namespace ${n.netns}`, () => removeNodeNamespace(n));
  if (record.bridge) {
    const bridge = record.bridge;
    await step(`remove the bridge ${bridge}`, () => removeBridge(bridge));
  }
  if (record.nodes.length > 0 || record.bridge) log(`Removed the lab network (${record.bridge ?? 'no bridge'}, ${record.nodes.length} node namespace(s)).`);

  await step(`remove ${record.stateDir}`, async () => {
    await unmountAll(record.stateDir);
    const left = mountsUnder(record.stateDir);
    // Never recurse into a mounted filesystem: that would delete the files of image layers or the host.
    if (left.length > 0) throw new Error(`still mounted, not removed: ${left.join(', ')}`);
    for (const dir of [...record.dirs].reverse()) rmSync(dir, { recursive: true, force: true });
    rmSync(record.stateDir, { recursive: true, force: true });
    for (const dir of record.parentsMade ?? []) {
      try {
        rmdirSync(dir);
      } catch {
        break; // not empty (something else lives there) or gone: leave it and its parents
      }
    }
  });
  if (problems.length > 0) throw new CliError(`berth down could not remove everything (run it again; details below):\n  ${problems.join('\n  ')}`);
}

/** An embedded etcd whose control plane was killed with -9 keeps running: stop it by its pid file, confirmed by its command line. */
async function stopOrphanEtcd(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'etcd', 'etcd.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0) await stopProcess(pid, join(dataDir, 'etcd'), 10_000);
}
