/**
 * Connections waiting in a pod's accept queues, read from the kernel's socket tables of the
 * pod's network namespace (/proc/<pid>/net/tcp and tcp6 of any process in it).
 *
 * Why the agent looks: drain-before-kill stops every proxy from sending the pod new
 * connections, but one routed a moment before may still sit in a listening socket's queue,
 * not yet accepted. A server that closes its listener on SIGTERM resets those. So the agent
 * sends SIGTERM once the queues are empty (or a short bound has passed).
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** The `st` value of a listening socket in /proc/net/tcp. */
const TCP_LISTEN = '0A';

/**
 * queuedConnections sums the accept queues of the listening sockets in one /proc/net/tcp
 * table: for a socket in LISTEN, the kernel shows the queue's length as `rx_queue`.
 */
export function queuedConnections(table: string): number {
  let queued = 0;
  for (const line of table.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue ...
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || fields[3] !== TCP_LISTEN) continue;
    const rxQueue = Number.parseInt(fields[4]?.split(':')[1] ?? '', 16);
    if (Number.isFinite(rxQueue)) queued += rxQueue;
  }
  return queued;
}

/** pendingAccepts is how many connections wait to be accepted in the network namespace of `pid`; 0 when it cannot be read (the process is gone). */
export async function pendingAccepts(pid: number): Promise<number> {
  const tables = await Promise.all(['tcp', 'tcp6'].map((name) => readFile(`/proc/${pid}/net/${name}`, 'utf8').catch(() => '')));
  return tables.reduce((sum, table) => sum + queuedConnections(table), 0);
}

/** How often waitAcceptQueuesEmpty looks again. */
export const ACCEPT_QUEUE_POLL_MS = 10;

/** waitAcceptQueuesEmpty resolves once no connection waits in the accept queues of `pid`'s namespace, or at `until` (epoch ms); true when empty. */
export async function waitAcceptQueuesEmpty(pid: number, until: number): Promise<boolean> {
  for (;;) {
    if ((await pendingAccepts(pid)) === 0) return true;
    if (Date.now() >= until) return false;
    await sleep(Math.min(ACCEPT_QUEUE_POLL_MS, Math.max(until - Date.now(), 0)));
  }
}
