import type { Pod, PodStatus } from '../../proto/objects/pod.js';
import { RESOURCE, objectKey } from '../../proto/resources.js';
import { NotFoundError } from '../errors.js';
import { confirmUnchanged, decodeStored, updateObject } from '../store/guarded-change.js';
import type { ChangeResult, GuardedChange } from '../store/guarded-change.js';
import { MAX_TXN_OPS, MAX_TXN_VALUE_BYTES } from '../store/guarded-change.js';
import { KeyedBatches } from '../store/keyed-batches.js';
import type { ObjectStore } from '../store/object-store.js';

const pods = RESOURCE.pods;

/** Batched attempts before a report that keeps conflicting is written on its own. */
const MAX_ROUNDS = 4;
/** Pods whose last written copy is remembered (see PodStatusWriter.written). */
const MAX_REMEMBERED = 10_000;

/** PodNotOnNodeError is thrown when a node reports the status of a pod that is not bound to it. */
export class PodNotOnNodeError extends NotFoundError {
  override name = 'PodNotOnNodeError';
  constructor(namespace: string, name: string, node: string) {
    super('pods', `${namespace}/${name}`);
    this.message = `pod ${namespace}/${name} (this instance) is not bound to node ${node}: stop reporting it`;
  }
}

/** PodStatusReport is one NodeAPI.UpdatePodStatus call: a node's agent reporting a pod's status. */
export interface PodStatusReport {
  nodeName: string;
  namespace: string;
  name: string;
  /** The pod instance the agent runs; empty: any instance bound to the node. */
  uid: string;
  status: PodStatus;
}

/**
 * withReportedStatus is the pod with the reported status in place, or undefined when it already
 * has that status. The agent of the pod's node is the only writer of
 * pod.status, so a pod whose uid differs (deleted and re-created under the same name) or that is
 * bound elsewhere is refused with PodNotOnNodeError (a NotFoundError). Spec and metadata are never
 * touched; `pod` itself is not changed (it may be a cache's).
 */
export function withReportedStatus(pod: Pod, report: PodStatusReport): Pod | undefined {
  if ((report.uid && pod.metadata.uid !== report.uid) || pod.spec.nodeName !== report.nodeName) throw new PodNotOnNodeError(report.namespace, report.name, report.nodeName);
  if (JSON.stringify(pod.status ?? {}) === JSON.stringify(report.status)) return undefined;
  return { ...pod, status: report.status };
}

/** writePodStatus applies one report on its own: read, check, guarded write, retried on conflict. */
export async function writePodStatus(store: ObjectStore, report: PodStatusReport): Promise<Pod> {
  const { object } = await store.guaranteedUpdate(pods, report.namespace, report.name, (current) => withReportedStatus(current as Pod, report));
  return object as Pod;
}

interface PendingReport {
  report: PodStatusReport;
  key: string;
  resolve: (pod: Pod) => void;
  reject: (err: unknown) => void;
}

/** What a report is planned on: a copy of the pod and whether it was just read from etcd. */
type Base = { pod: Pod; read: boolean } | 'gone' | undefined;
/** A report not yet settled, with its base (undefined: to be read). */
type Open = { p: PendingReport; base: Base };
/** A report in the next commit: its change is guarded on base's revision, and writes `next` unless unchanged. */
type Planned = { p: PendingReport; base: { pod: Pod; read: boolean }; next: Pod | undefined; change: GuardedChange };

/**
 * PodStatusWriter is used to apply the agents' status reports with few etcd round trips. Agents
 * report every pod start at least once, and a get plus a guarded put per report made status
 * writes the largest share of the control plane's etcd traffic during a rollout.
 *
 * Group commit: the reports that arrive during one turn of the event loop go to etcd together
 * (ObjectStore.commit: up to 128 pods a transaction), each guarded on the revision its report was
 * planned on. The plan starts from a cached copy (the NodeAPI pod informer, or what this writer
 * wrote last, whichever is newer) instead of a read: the guard makes a stale copy cost a retry,
 * never a wrong write. A report whose guard fails is planned again from the pod as it is now,
 * which the failed transaction returned. A report the check
 * refuses (another node, another uid, pod gone) is refused alone, and only after a fresh read
 * confirms it, so a lagging cache never refuses a good report. Two reports of one pod are never
 * in flight together: they are applied in the order they arrived.
 */
export class PodStatusWriter {
  // commit settles every report itself and never rejects.
  private readonly queue = new KeyedBatches<PendingReport>(MAX_TXN_OPS, (batch) => this.commit(batch));
  /**
   * etcd key → the pod as this writer last stored it. An agent often reports a pod twice in quick
   * succession (created, then running); the informer may not show the first write yet.
   */
  private readonly written = new Map<string, Pod>();

  /** `cached` looks a pod up by `namespace/name` in an informer; undefined when it has none. */
  constructor(private readonly store: ObjectStore, private readonly cached: (cacheKey: string) => Pod | undefined) {}

  /** write applies one report and resolves with the pod as stored (as writePodStatus would). */
  write(report: PodStatusReport): Promise<Pod> {
    return new Promise((resolve, reject) => {
      const key = objectKey(pods, report.namespace, report.name);
      this.queue.add(key, { report, key, resolve, reject });
    });
  }

  private async commit(batch: PendingReport[]): Promise<void> {
    let open: Open[] = batch.map((p) => ({ p, base: this.cachedBase(p) }));
    try {
      for (let round = 0; round < MAX_ROUNDS && open.length > 0; round++) {
        await this.readMissing(open);
        const { planned, again } = this.plan(open, batch);
        open = again;
        if (planned.length === 0) continue;
        const results = await this.store.commit(planned.map(({ change }) => change));
        planned.forEach(({ p, base, next }, i) => {
          const result = results[i] as ChangeResult;
          if (result.kind === 'committed') p.resolve(next ? this.remember(p.key, next, result.revision) : base.pod);
          else if (result.kind === 'error') p.reject(result.error);
          else {
            // Nothing of this report was written: plan it again on what its pod holds now.
            const now = result.current[0];
            open.push({ p, base: now ? { pod: decodeStored(now) as Pod, read: true } : 'gone' });
          }
        });
      }
      // Still conflicting after every round (the pods keep changing): one at a time, as before batching.
      await Promise.all(open.map(({ p }) => writePodStatus(this.store, p.report).then(p.resolve, p.reject)));
    } catch (err) {
      // etcd failed: every report not yet settled fails with it (settled promises ignore this).
      for (const p of batch) p.reject(err);
    }
  }

  /**
   * plan checks each report against its base: refused ones are settled (after a fresh read),
   * the others planned for one transaction. Reports to read first come back in `again`, and so
   * do reports beyond one transaction's size, which go back to the queue.
   */
  private plan(open: Open[], batch: PendingReport[]): { planned: Planned[]; again: Open[] } {
    const planned: Planned[] = [];
    const again: Open[] = [];
    let bytes = 0;
    for (const o of open) {
      if (o.base === undefined) continue;
      if (o.base === 'gone') {
        o.p.reject(new NotFoundError('pods', `${o.p.report.namespace}/${o.p.report.name}`));
        continue;
      }
      let next: Pod | undefined;
      try {
        next = withReportedStatus(o.base.pod, o.p.report);
      } catch (err) {
        // Refused on a cached copy that may lag: read the pod and judge again before refusing.
        if (o.base.read) o.p.reject(err);
        else again.push({ p: o.p, base: undefined });
        continue;
      }
      // next keeps base's resourceVersion: the write is guarded on the copy it was planned on.
      const change = next ? updateObject(RESOURCE.pods, next) : confirmUnchanged(RESOURCE.pods, o.base.pod);
      const size = change.writes.reduce((n, w) => n + ('put' in w ? w.put.length : 0), 0);
      if (size > 0 && bytes > 0 && bytes + size > MAX_TXN_VALUE_BYTES) {
        this.requeue(o.p, batch);
        continue;
      }
      bytes += size;
      planned.push({ p: o.p, base: o.base, next, change });
    }
    return { planned, again };
  }

  /** requeue hands a report back for a later transaction, ahead of any later report of its pod. */
  private requeue(p: PendingReport, batch: PendingReport[]): void {
    batch.splice(batch.indexOf(p), 1);
    this.queue.putBack(p.key, p);
  }

  /** readMissing reads, in one round trip, the pods of the reports that have no base. */
  private async readMissing(open: Open[]): Promise<void> {
    const missing = open.filter((o) => o.base === undefined);
    if (missing.length === 0) return;
    const read = await this.store.getMany(missing.map(({ p }) => ({ info: pods, namespace: p.report.namespace, name: p.report.name })));
    missing.forEach((o, i) => {
      const pod = read[i] as Pod | undefined;
      o.base = pod ? { pod, read: true } : 'gone';
    });
  }

  /** cachedBase is the newest copy of the pod this process has, if any. */
  private cachedBase(p: PendingReport): Base {
    const fromInformer = this.cached(`${p.report.namespace}/${p.report.name}`);
    const mine = this.written.get(p.key);
    if (mine && (!fromInformer || Number(mine.metadata.resourceVersion) > Number(fromInformer.metadata.resourceVersion))) return { pod: mine, read: false };
    if (mine) this.written.delete(p.key);
    return fromInformer ? { pod: fromInformer, read: false } : undefined;
  }

  private remember(key: string, pod: Pod, revision: string): Pod {
    const stored: Pod = { ...pod, metadata: { ...pod.metadata, resourceVersion: revision } };
    this.written.delete(key);
    this.written.set(key, stored);
    if (this.written.size > MAX_REMEMBERED) this.written.delete(this.written.keys().next().value as string);
    return stored;
  }
}
