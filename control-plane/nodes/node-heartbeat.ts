import type { Logger } from 'winston';
import type { Lease, Node } from '../../proto/objects/cluster.js';
import { RESOURCE } from '../../proto/resources.js';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import { readyConditionsIfChanged } from './node-ready.js';
import { newIdentity } from '../objects/identity.js';

const leases = RESOURCE.leases;
const nodes = RESOURCE.nodes;

/** How long a lease holds without renewal; the agent renews about every second. */
export const NODE_LEASE_DURATION_SECONDS = 40;

/** renewedLease is the node's Lease with renewTime = now (a new one when absent). Pure. */
export function renewedLease(nodeName: string, stored: Lease | undefined, now: string, identity: { uid: string; creationTimestamp: string }): Lease {
  if (stored) return { ...stored, spec: { ...stored.spec, holderIdentity: nodeName, renewTime: now, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS } };
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: nodeName, uid: identity.uid, creationTimestamp: identity.creationTimestamp },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, acquireTime: now, renewTime: now },
  };
}

/**
 * NodeHeartbeat is used by NodeAPI.Heartbeat. A heartbeat costs a serializable read of the node
 * (local, no quorum round) and one write of its lease guarded on the lease's revision, planned on
 * the lease this replica wrote last (a serializable read when it has none, or when another
 * replica renewed it meanwhile), so 1,000 nodes beating every second stay cheap for etcd. The
 * Node is written only when its Ready condition was not True (the node-lifecycle controller
 * marked it NotReady and it is back).
 */
export class NodeHeartbeat {
  /** node name → its lease as this replica last wrote it. */
  private readonly written = new Map<string, Lease>();

  constructor(private readonly store: ObjectStore, private readonly logger: Logger) {}

  async beat(nodeName: string): Promise<{ leaseDurationSeconds: number }> {
    // RFC 3339 with milliseconds: lease ages are compared at sub-second precision.
    const now = new Date().toISOString();
    const identity = newIdentity();
    const remembered = this.written.get(nodeName);
    const [lease, node] = await Promise.all([
      remembered ?? (this.store.tryGet(leases, undefined, nodeName, { serializable: true }) as Promise<Lease | undefined>),
      this.store.tryGet(nodes, undefined, nodeName, { serializable: true }) as Promise<Node | undefined>,
    ]);
    if (!node) {
      this.written.delete(nodeName);
      throw new NotFoundError('nodes', nodeName);
    }
    await this.renew(nodeName, lease, now, identity);
    if (readyConditionsIfChanged(node, now)) await this.markReady(nodeName, now);
    return { leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS };
  }

  private async renew(nodeName: string, read: Lease | undefined, now: string, identity: { uid: string; creationTimestamp: string }): Promise<void> {
    let stored = read;
    for (let attempt = 0; attempt < 5; attempt++) {
      const next = renewedLease(nodeName, stored, now, identity);
      try {
        const written = (stored ? await this.store.update(leases, next) : await this.store.create(leases, next)) as Lease;
        this.written.set(nodeName, written);
        return;
      } catch (err) {
        // A serializable read may be a little stale, a remembered lease too: re-read from the quorum and try again.
        this.written.delete(nodeName);
        if (!(err instanceof ConflictError || err instanceof AlreadyExistsError || err instanceof NotFoundError)) throw err;
        stored = (await this.store.tryGet(leases, undefined, nodeName)) as Lease | undefined;
      }
    }
    throw new ConflictError('leases.coordination.k8s.io', nodeName, 'the lease kept changing while being renewed');
  }

  private async markReady(nodeName: string, now: string): Promise<void> {
    await this.store.guaranteedUpdate(nodes, undefined, nodeName, (current) => {
      const node = current as Node;
      const conditions = readyConditionsIfChanged(node, now);
      if (!conditions) return undefined;
      node.status = { ...node.status, conditions };
      return node;
    });
    this.logger.info('node ready again', { node: nodeName });
  }
}
