import type { Logger } from 'winston';
import type { Lease, Node } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE } from '../../proto/resources.js';
import type { EventSink } from '../events/event-recorder.js';
import type { ObjectStore } from '../store/object-store.js';
import { deletePod } from '../store/pod-deletion.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { DONE, KeyedMutex, ignoreNotFound, runUntilAborted } from './controller-util.js';
import { apiTimestamp } from '../../proto/time.js';
import { NODE_STATUS_UNKNOWN, decideNodeAction, judgeLease, markPodNodeLost, nodeReadyCondition, podLostWithNode, podTerminatingOn, withReadyCondition } from './node-lifecycle-logic.js';
import { WorkQueue } from './work-queue.js';
import type { ReconcileResult } from './work-queue.js';
import type { ObjectCache } from '../watch/object-cache.js';

const nodes = RESOURCE.nodes;
const pods = RESOURCE.pods;

/** NodeLifecycleControllerOptions: the grace period is the `--node-grace-period` flag. */
export interface NodeLifecycleControllerOptions {
  /** How long a lease may go unrenewed before its node is NotReady (default 5 s). */
  gracePeriodMs?: number;
  workers?: number;
  now?: () => number;
}

/**
 * NodeLifecycleController turns lease silence into NotReady. Keys are node names; a Node or
 * Lease change enqueues its node, and each reconcile of a healthy node schedules the next look
 * for the moment its lease would go stale (one timer per node, no polling of all nodes).
 *
 * A stale lease sets the node's Ready condition to Unknown (NodeStatusUnknown), records
 * NodeNotReady, and marks the node's pods Failed with reason NodeLost, so their ReplicaSets
 * replace them on other nodes. A fresh lease after that sets Ready back to True and records
 * NodeReady. The terminating pods of a lost or deleted node are removed at once (force): their
 * agent will never finish them. Lifecycle: construct, start(signal) runs workers until the signal aborts.
 */
export class NodeLifecycleController {
  readonly queue = new WorkQueue('node-lifecycle');
  private readonly mutex = new KeyedMutex();
  /** node name → the lease renewTime last seen and when this controller saw it change. */
  private readonly observed = new Map<string, { renewal: string | undefined; atMs: number }>();
  private readonly now: () => number;
  private readonly gracePeriodMs: number;

  constructor(
    private readonly store: ObjectStore,
    private readonly nodes: ObjectCache,
    private readonly leases: ObjectCache,
    private readonly pods: ObjectCache,
    private readonly events: EventSink,
    private readonly logger: Logger,
    private readonly options: NodeLifecycleControllerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.gracePeriodMs = options.gracePeriodMs ?? 5000;
    nodes.onChange((_type, node) => this.queue.add(node.metadata.name));
    leases.onChange((_type, lease) => this.queue.add(lease.metadata.name));
    // A pod bound to a node already judged lost (late binding, agent re-posting) is marked too.
    pods.onChange((type, object) => {
      const nodeName = (object as Pod).spec?.nodeName;
      if (type === 'DELETED' || !nodeName) return;
      const node = this.nodes.get(nodeName) as Node | undefined;
      if (node && nodeReadyCondition(node)?.reason === NODE_STATUS_UNKNOWN) this.queue.add(nodeName);
    });
  }

  start(signal: AbortSignal): Promise<void> {
    return runUntilAborted(this.queue, this.options.workers ?? 1, (key) => this.reconcile(key), this.logger, signal);
  }

  /** reconcile takes one step toward the desired state for `nodeName` (one at a time per key). */
  reconcile(nodeName: string): Promise<ReconcileResult> {
    return this.mutex.run(nodeName, () => this.reconcileOnce(nodeName));
  }

  private async reconcileOnce(nodeName: string): Promise<ReconcileResult> {
    const node = this.nodes.get(nodeName) as Node | undefined;
    if (!node) {
      this.observed.delete(nodeName);
      await this.removeTerminatingPods(nodeName, 'its node was deleted');
      return DONE;
    }
    const nowMs = this.now();
    const lease = this.leases.get(nodeName) as Lease | undefined;
    const renewal = lease?.spec.renewTime ?? lease?.metadata.resourceVersion;
    let seen = this.observed.get(nodeName);
    if (!seen || seen.renewal !== renewal) {
      seen = { renewal, atMs: nowMs };
      this.observed.set(nodeName, seen);
    }
    const health = judgeLease(seen.atMs, nowMs, this.gracePeriodMs);
    const action = decideNodeAction(node, health);
    if (action.kind !== 'none') await this.setReady(node, action.kind, apiTimestamp(nowMs));
    if (health.kind === 'stale') {
      await this.markPodsLost(nodeName, apiTimestamp(nowMs));
      await this.removeTerminatingPods(nodeName, 'its node is lost');
      return DONE;
    }
    return { kind: 'requeueAfter', delayMs: health.staleInMs + 1 };
  }

  private async setReady(node: Node, action: 'markNotReady' | 'markReady', now: string): Promise<void> {
    const result = await ignoreNotFound(
      this.store.guaranteedUpdate(nodes, undefined, node.metadata.name, (current) => {
        const cur = current as Node;
        if (cur.metadata.uid !== node.metadata.uid || decideNodeAction(cur, action === 'markNotReady' ? { kind: 'stale' } : { kind: 'fresh', staleInMs: 0 }).kind !== action) return undefined;
        cur.status = { ...cur.status, conditions: withReadyCondition(cur, action, now) };
        return cur;
      }),
    );
    if (!result?.changed) return;
    const name = node.metadata.name;
    if (action === 'markNotReady') {
      this.logger.warn('node lease expired; node is NotReady', { node: name, gracePeriodMs: this.gracePeriodMs });
      this.events.record(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    } else {
      this.logger.info('node lease renewed; node is Ready again', { node: name });
      this.events.record(node, 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`);
    }
  }

  /**
   * removeTerminatingPods force-deletes the terminating pods of a node whose agent is gone: no
   * one is left to finish them, and they would stay Terminating for good. (Finished pods are
   * removed at once by any delete; this catches pods deleted before, or while, the node was lost.)
   */
  private async removeTerminatingPods(nodeName: string, why: string): Promise<void> {
    const stuck = (this.pods.list() as Pod[]).filter((p) => podTerminatingOn(p, nodeName));
    for (const pod of stuck) {
      const name = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
      try {
        await deletePod(this.store, pod.metadata.namespace ?? 'default', pod.metadata.name, { force: true, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) });
        this.logger.info(`terminating pod removed: ${why}`, { node: nodeName, pod: name });
      } catch (err) {
        // Gone already, or the name now holds another pod: nothing of this one is left to remove.
        if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
      }
    }
  }

  private async markPodsLost(nodeName: string, now: string): Promise<void> {
    const lost = (this.pods.list() as Pod[]).filter((p) => podLostWithNode(p, nodeName));
    for (const pod of lost) {
      const result = await ignoreNotFound(
        this.store.guaranteedUpdate(pods, pod.metadata.namespace, pod.metadata.name, (current) => {
          const cur = current as Pod;
          if (cur.metadata.uid !== pod.metadata.uid || !podLostWithNode(cur, nodeName)) return undefined;
          return markPodNodeLost(cur, nodeName, now);
        }),
      );
      if (result?.changed) this.logger.info('pod lost with its node', { node: nodeName, pod: `${pod.metadata.namespace}/${pod.metadata.name}` });
    }
  }
}
