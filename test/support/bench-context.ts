/**
 * What every phase of the cluster benchmark works with (one real local cluster, its client, the
 * bench's own ClusterAPI watch of the namespace), and the node-side checks they share: where a
 * pod's containers live on its node's disk and when they are all gone.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterClient } from '../../cli/client.js';
import { runtimeStateRoot, sleep } from './bench-cluster.js';
import type { PodWatch } from './bench-pods.js';
import type { ResourceMeter } from './bench-resources.js';
import type { LocalClusterHandle, LocalClusterNode } from './local-cluster.js';

/** The namespace the cluster benchmark works in. */
export const NS = 'default';

/** BenchContext is used by every phase of the cluster benchmark. */
export interface BenchContext {
  cluster: LocalClusterHandle;
  client: ClusterClient;
  /** The bench's own ClusterAPI watch of NS (arrival times stamped on this machine's clock). */
  pods: PodWatch;
  /** The node of that name (throws for an unknown or missing name). */
  node(name: string | undefined): LocalClusterNode;
  /** Agents, control plane and etcd. */
  meter: ResourceMeter;
  /** A temp dir for manifests. */
  workDir: string;
}

/** The bundle directory of a container instance on its node. */
export function containerDir(node: LocalClusterNode, id: string): string {
  return join(node.root, 'runtime', 'containers', id);
}

/**
 * containersLeft counts the container instances of these pods (ids start with the pod's uid)
 * that a node still holds: berth-runtime state or bundle directory, on any node.
 */
export function containersLeft(nodes: LocalClusterNode[], uids: ReadonlySet<string>): Map<string, number> {
  const left = new Map<string, number>();
  for (const node of nodes) {
    for (const dir of [runtimeStateRoot(node), join(node.root, 'runtime', 'containers')]) {
      let entries: string[] = [];
      try {
        entries = readdirSync(dir);
      } catch {
        continue;
      }
      for (const id of entries) {
        const uid = id.split('_')[0] ?? '';
        if (uids.has(uid)) left.set(uid, (left.get(uid) ?? 0) + 1);
      }
    }
  }
  return left;
}

/** waitContainersGone waits until no node holds a container of these pods. */
export async function waitContainersGone(b: BenchContext, uids: ReadonlySet<string>, what: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (containersLeft(b.cluster.nodes, uids).size > 0) {
    if (Date.now() > deadline) throw new Error(`containers of ${what} still on the nodes after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** removeDeployment deletes a Deployment through the API (set-up, not measured) and waits until its pods and their containers are gone. */
export async function removeDeployment(b: BenchContext, name: string, timeoutMs = 180_000): Promise<void> {
  await b.client.delete('deployments', NS, name).catch((err: unknown) => {
    if (!String(err).includes('NotFound')) throw err;
  });
  await b.pods.until(`the pods of ${name} deleted`, () => b.pods.of(name, true).length === 0, timeoutMs);
  await waitContainersGone(b, new Set(b.pods.of(name).map((t) => t.uid)), `${name}'s deleted pods`, timeoutMs);
}
