import type { Logger } from 'winston';
import type { Lease, Node } from '../../proto/objects/cluster.js';
import { objectKey, RESOURCE } from '../../proto/resources.js';
import { isReady } from '../../proto/objects/conditions.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { withRevision } from '../store/codec.js';
import { combine, createObject, decodeStored, updateObject } from '../store/guarded-change.js';
import type { GuardedChange } from '../store/guarded-change.js';
import type { ObjectStore } from '../store/object-store.js';
import { readyConditionsIfChanged } from './node-ready.js';
import { newIdentity } from '../objects/identity.js';
import type { NewObjectIdentity } from '../objects/identity.js';

const leases = RESOURCE.leases;
const nodes = RESOURCE.nodes;

/** How long a lease holds without renewal; the agent renews about every second. */
export const NODE_LEASE_DURATION_SECONDS = 40;
/** Commit rounds of one beat (each after a guard failed on a change it had not seen) before it gives up. */
const MAX_ROUNDS = 5;
/** Beats committed together at most; the store packs them into transactions (about 64 each: two guards a beat). */
const MAX_BATCH = 1024;

/** renewedLease is the node's Lease with renewTime = now (a new one when absent). Pure. */
export function renewedLease(nodeName: string, stored: Lease | undefined, now: string, identity: NewObjectIdentity): Lease {
  if (stored) return { ...stored, spec: { ...stored.spec, holderIdentity: nodeName, renewTime: now, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS } };
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: nodeName, uid: identity.uid, creationTimestamp: identity.creationTimestamp },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, acquireTime: now, renewTime: now },
  };
}

/** KnownNodes is the Nodes this process follows (NodeService's node feed): a copy that may lag etcd a little. */
export interface KnownNodes {
  /** Resolves once the copy is listed (starting it on first use). */
  start(): Promise<void>;
  get(name: string): Node | undefined;
}

/** HeartbeatReply is what a node learns from a heartbeat. */
export interface HeartbeatReply {
  leaseDurationSeconds: number;
}

/** The beats of one node waiting for the same write: a second beat before the first was written joins it. */
interface PendingBeat {
  nodeName: string;
  now: string;
  /** Used only if the lease has to be created; chosen before any transaction. */
  identity: NewObjectIdentity;
  waiting: { resolve: (reply: HeartbeatReply) => void; reject: (err: unknown) => void }[];
}

/** One beat planned for a commit: the lease it renews (undefined: create it) and the node it is guarded on. */
interface Attempt {
  beat: PendingBeat;
  lease: Lease | undefined;
  node: Node;
}

/**
 * NodeHeartbeat is used by NodeAPI.Heartbeat: it renews a node's Lease and turns its Ready
 * condition True again when the node-lifecycle controller had given up on it.
 *
 * 1,000 nodes beat every second, so beats are group-committed: those that arrive during one turn
 * of the event loop go to etcd together (ObjectStore.commit packs them into a few transactions).
 * Nothing is read per beat. Each lease write is guarded on the lease this replica wrote last (or
 * on its absence), and on the node's revision as KnownNodes has it; the node is judged Ready or
 * not on that same copy. A stale guess costs a round, never a wrong write: a failed guard brings
 * back what the lease and the node hold now, and the beat is planned again on that. So a lease
 * is never written over a change this replica did not see (another replica's renewal), the
 * Ready check sees the node as it was when the lease was written, and a deleted node gets
 * NotFoundError. A node KnownNodes does not have yet (it just registered) is read first.
 */
export class NodeHeartbeat {
  private readonly pending = new Map<string, PendingBeat>();
  private readonly inFlight = new Set<string>();
  private scheduled = false;
  /** node name → its lease as this replica last wrote it. */
  private readonly written = new Map<string, Lease>();

  constructor(private readonly store: ObjectStore, private readonly logger: Logger, private readonly nodes: KnownNodes) {}

  async beat(nodeName: string): Promise<HeartbeatReply> {
    await this.nodes.start();
    // RFC 3339 with milliseconds: lease ages are compared at sub-second precision.
    const now = new Date().toISOString();
    return new Promise((resolve, reject) => {
      const joined = this.pending.get(nodeName);
      if (joined) {
        joined.now = now;
        joined.waiting.push({ resolve, reject });
      } else this.pending.set(nodeName, { nodeName, now, identity: newIdentity(), waiting: [{ resolve, reject }] });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.pending.size === 0) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    for (let batch = this.takeBatch(); batch.length > 0; batch = this.takeBatch()) {
      // commit settles every beat itself and never rejects.
      void this.commit(batch).then(() => {
        for (const beat of batch) this.inFlight.delete(beat.nodeName);
        this.schedule();
      });
    }
  }

  /** takeBatch removes up to MAX_BATCH pending beats of nodes with no beat being written. */
  private takeBatch(): PendingBeat[] {
    const batch: PendingBeat[] = [];
    for (const [name, beat] of this.pending) {
      if (batch.length >= MAX_BATCH) break;
      if (this.inFlight.has(name)) continue;
      this.pending.delete(name);
      this.inFlight.add(name);
      batch.push(beat);
    }
    return batch;
  }

  private async commit(batch: PendingBeat[]): Promise<void> {
    try {
      let open = await this.withNodes(batch);
      for (let round = 0; round < MAX_ROUNDS && open.length > 0; round++) {
        const planned = open.map((attempt) => ({ attempt, ...this.plan(attempt) }));
        const results = await this.store.commit(planned.map((p) => p.change));
        open = [];
        planned.forEach(({ attempt, change, lease }, i) => {
          const result = results[i];
          if (result?.kind === 'committed') this.renewed(attempt, withRevision(lease, result.revision));
          else if (result?.kind === 'conflict') {
            const current = (key: string) => result.current[change.guards.findIndex((g) => g.key === key)];
            const node = current(objectKey(nodes, undefined, attempt.beat.nodeName));
            const stored = current(objectKey(leases, undefined, attempt.beat.nodeName));
            if (!node) this.gone(attempt.beat);
            else open.push({ beat: attempt.beat, lease: stored && (decodeStored(stored) as Lease), node: decodeStored(node) as Node });
          } else fail(attempt.beat, result?.error);
        });
      }
      for (const { beat } of open) fail(beat, new ConflictError('leases.coordination.k8s.io', beat.nodeName, 'the lease kept changing while being renewed'));
    } catch (err) {
      // etcd failed: every beat not yet settled fails with it (settled promises ignore this).
      for (const beat of batch) fail(beat, err);
    }
  }

  /** withNodes pairs each beat with its node and last written lease; nodes not known yet are read, in one round trip. */
  private async withNodes(batch: PendingBeat[]): Promise<Attempt[]> {
    const known = batch.map((beat) => this.nodes.get(beat.nodeName));
    const missing = batch.filter((_, i) => !known[i]);
    const read = missing.length === 0 ? [] : await this.store.getMany(missing.map((beat) => ({ info: nodes, namespace: undefined, name: beat.nodeName })));
    const attempts: Attempt[] = [];
    let r = 0;
    batch.forEach((beat, i) => {
      const node = known[i] ?? (read[r++] as Node | undefined);
      if (node) attempts.push({ beat, lease: this.written.get(beat.nodeName), node });
      else this.gone(beat);
    });
    return attempts;
  }

  /** plan is the attempt's write: the renewed lease, guarded on the lease and on the node as planned. */
  private plan({ beat, lease, node }: Attempt): { lease: Lease; change: GuardedChange } {
    const next = renewedLease(beat.nodeName, lease, beat.now, beat.identity);
    const write = lease ? updateObject(leases, next) : createObject(leases, next);
    const nodeGuard = { key: objectKey(nodes, undefined, beat.nodeName), expect: 'revision' as const, revision: node.metadata.resourceVersion ?? '0' };
    return { lease: next, change: combine([write], [nodeGuard]) };
  }

  /** renewed settles a written beat, once the node is Ready again if the lifecycle controller had given up on it. */
  private renewed({ beat, node }: Attempt, lease: Lease): void {
    this.written.set(beat.nodeName, lease);
    const reply = { leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS };
    if (isReady(node)) {
      for (const w of beat.waiting) w.resolve(reply);
      return;
    }
    this.markReady(beat.nodeName, beat.now).then(
      () => beat.waiting.forEach((w) => w.resolve(reply)),
      (err: unknown) => fail(beat, err),
    );
  }

  private gone(beat: PendingBeat): void {
    this.written.delete(beat.nodeName);
    fail(beat, new NotFoundError('nodes', beat.nodeName));
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

function fail(beat: PendingBeat, err: unknown): void {
  for (const w of beat.waiting) w.reject(err);
}
