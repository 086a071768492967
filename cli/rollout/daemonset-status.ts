import type { DaemonSet } from '../../proto/objects/daemonset.js';
import type { ClusterClient } from '../client.js';
import { CliError } from '../errors.js';

/** DaemonSetRollout is where a DaemonSet's rollout stands, with `kubectl rollout status`'s message. */
export type DaemonSetRollout = { done: boolean; message: string };

/** daemonSetRolloutState judges a DaemonSet's rollout as kubectl's DaemonSetStatusViewer does. */
export function daemonSetRolloutState(ds: DaemonSet): DaemonSetRollout {
  const type = ds.spec.updateStrategy?.type ?? 'RollingUpdate';
  if (type !== 'RollingUpdate') throw new CliError('rollout status is only available for RollingUpdate strategy type');
  const s = ds.status;
  const name = JSON.stringify(ds.metadata.name);
  if ((ds.metadata.generation ?? 0) > (s?.observedGeneration ?? 0)) return { done: false, message: 'Waiting for daemon set spec update to be observed...' };
  const desired = s?.desiredNumberScheduled ?? 0;
  const updated = s?.updatedNumberScheduled ?? 0;
  const available = s?.numberAvailable ?? 0;
  if (updated < desired) return { done: false, message: `Waiting for daemon set ${name} rollout to finish: ${updated} out of ${desired} new pods have been updated...` };
  if (available < desired) return { done: false, message: `Waiting for daemon set ${name} rollout to finish: ${available} of ${desired} updated pods are available...` };
  return { done: true, message: `daemon set ${name} successfully rolled out` };
}

/** How often the DaemonSet is read again while its rollout runs. */
const POLL_MS = 500;

/**
 * followDaemonSetRollout prints each new message until the rollout is done (or once, without
 * `follow`); a timeout (ms, 0: none) or the DaemonSet's deletion is an error.
 */
export async function followDaemonSetRollout(client: ClusterClient, namespace: string, name: string, options: { timeoutMs: number; follow: boolean; print: (line: string) => void }): Promise<void> {
  const deadline = options.timeoutMs > 0 ? Date.now() + options.timeoutMs : Infinity;
  let last = '';
  for (;;) {
    const state = daemonSetRolloutState((await client.get('daemonsets', namespace, name)) as DaemonSet);
    if (state.message !== last) options.print(state.message);
    last = state.message;
    if (state.done || !options.follow) return;
    if (Date.now() >= deadline) throw new CliError('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
