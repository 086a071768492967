import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Node } from '../../proto/objects/cluster.js';
import type { TlsMaterial } from '../../proto/security/tls-credentials.js';
import { ClusterClient } from '../client.js';
import { CliError } from '../errors.js';
import { controlPlaneEntry } from './paths.js';
import { isRunning, spawnDetached, tail } from './processes.js';
import type { NodeRecord } from './record.js';
import { isReady } from '../../proto/objects/conditions.js';

/** startControlPlane starts berth-control-plane detached, its embedded etcd on loopback, with the credentials in `pkiDir`; returns its pid. */
export function startControlPlane(stateDir: string, server: string, dataDir: string, etcdPort: number, pkiDir: string): number {
  // The control plane creates the Secret encryption key file (mode 0600) on its first start.
  const keyFile = join(stateDir, 'encryption-keys');
  return spawnDetached(
    process.execPath,
    [controlPlaneEntry(), '--listen', server, '--pki-dir', pkiDir, '--data-dir', dataDir, '--embedded-etcd-port', String(etcdPort), '--encryption-key-file', keyFile],
    join(stateDir, 'control-plane.log'),
  );
}

/** waitControlPlaneReady waits until ClusterAPI answers at `server` (to a client with `tls`), or fails with the end of its log. */
export async function waitControlPlaneReady(server: string, tls: TlsMaterial, pid: number, dataDir: string, stateDir: string, timeoutMs = 30_000): Promise<void> {
  const client = new ClusterClient(server, tls);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.list({ resource: 'namespaces' });
        return;
      } catch (err) {
        if (!isRunning(pid, dataDir) || Date.now() > deadline) {
          const log = join(stateDir, 'control-plane.log');
          throw new CliError(`the control plane did not come up at ${server} (${(err as Error).message}). Last lines of ${log}:\n${tail(log)}`);
        }
        await sleep(200);
      }
    }
  } finally {
    client.close();
  }
}

/**
 * waitNodesReady waits until every node's Node object is Ready, as `berth get nodes` shows it.
 * On timeout (or when an agent exits) it names each node that is not Ready, why, and its log.
 */
export async function waitNodesReady(server: string, tls: TlsMaterial, nodes: NodeRecord[], agentLog: (n: NodeRecord) => string, agentMarker: (n: NodeRecord) => string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const client = new ClusterClient(server, tls);
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  // An agent caught while nsenter execs node shows an empty command line for an instant, so
  // isRunning misses it: only a miss on two checks in a row means the agent exited.
  const missedOnce = new Set<string>();
  try {
    for (;;) {
      let byName = new Map<string, Node>();
      try {
        const { items } = await client.list({ resource: 'nodes' });
        byName = new Map(items.map((n) => [n.metadata.name, n as Node]));
        lastError = '';
      } catch (err) {
        lastError = (err as Error).message;
      }
      const notReady = nodes.filter((n) => !isReady(byName.get(n.name) ?? {}));
      if (notReady.length === 0 || signal?.aborted) return;
      const dead = notReady.filter((n) => {
        if (n.agentPid && isRunning(n.agentPid, agentMarker(n))) {
          missedOnce.delete(n.name);
          return false;
        }
        if (missedOnce.has(n.name)) return true;
        missedOnce.add(n.name);
        return false;
      });
      if (dead.length > 0 || Date.now() > deadline) {
        const lines = notReady.map((n) => {
          const why = dead.includes(n) ? 'its agent exited' : byName.has(n.name) ? 'registered but not Ready' : 'never registered';
          return `  ${n.name} (${n.ip}, pid ${n.agentPid ?? '-'}): ${why}. Last lines of ${agentLog(n)}:\n${tail(agentLog(n)).replace(/^/gm, '    ')}`;
        });
        const head = dead.length > 0 ? 'a node agent exited before its node was Ready' : `nodes not Ready after ${Math.round(timeoutMs / 1000)} s`;
        throw new CliError(`${head}${lastError ? ` (${lastError})` : ''}:\n${lines.join('\n')}`);
      }
      await sleep(250);
    }
  } finally {
    client.close();
  }
}
