import type { Logger } from 'winston';
import type { Node } from '../../proto/objects/cluster.js';
import type { EndpointSlice } from '../../proto/objects/discovery.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import { isReady } from '../../proto/objects/conditions.js';
import { InvalidError } from '../errors.js';
import type { StoreEventType } from '../store/prefix-watch.js';
import { cacheKey } from '../watch/object-cache.js';
import { drainVerdict, podRefKey, slicePods } from './endpoint-drain.js';
import type { DrainVerdict, SliceEntry } from './endpoint-drain.js';
import type { ResourceFeed } from './resource-feed.js';

/** The longest a WaitEndpointsDrained call waits, whatever it asks for. */
export const MAX_DRAIN_WAIT_MS = 10 * 60_000;
/** Pods no slice lists any more whose last slice change is remembered (oldest forgotten first). */
const MAX_RELEASED = 10_000;

/** DrainQuery is one NodeAPI.WaitEndpointsDrained call. */
export interface DrainQuery {
  namespace: string;
  name: string;
  uid: string;
  timeoutMs: number;
}

/** DrainAnswer is its reply: drained, or the message naming what was still waited for at the timeout. */
export interface DrainAnswer {
  drained: boolean;
  message: string;
}

interface Waiter {
  query: DrainQuery;
  finish: (answer: DrainAnswer) => void;
}

/**
 * ProxySyncTracker is used to serve ReportProxySync and WaitEndpointsDrained ("drain before
 * kill"): it keeps, in this process's memory, the services revision each node's proxy last
 * reported, which pods each EndpointSlice lists (from the WatchServices feed) and when a slice
 * change last referenced each pod, and which nodes are Ready (from the WatchNodes feed). A wait
 * is answered when drainVerdict says so, re-judged on every report, slice change and node change
 * (no polling), or at its timeout. Reports live only in the replica the agent talks to: another
 * replica knows nothing of them (see the architecture notes). Lifecycle: the feeds are
 * subscribed on first use; stop() ends the subscriptions and answers every wait.
 */
export class ProxySyncTracker {
  private readonly reported = new Map<string, number>();
  private readonly readyNodes = new Set<string>();
  /** slice key → the pods it lists. */
  private readonly sliceEntries = new Map<string, SliceEntry[]>();
  /** pod ref → slice key → serving, for every slice that lists the pod now. */
  private readonly listedIn = new Map<string, Map<string, boolean>>();
  /** pod ref → mod revision of the newest slice change that referenced it (listed now, or recently released). */
  private readonly changedAt = new Map<string, number>();
  private readonly released = new Set<string>();
  private readonly waiters = new Set<Waiter>();
  private started: Promise<void> | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly services: ResourceFeed, private readonly nodes: ResourceFeed, private readonly logger: Logger) {}

  /** report records that `node`'s proxy has programmed every services change up to `resourceVersion`. */
  async report(node: string, resourceVersion: string): Promise<void> {
    const revision = Number(resourceVersion);
    if (!node) throw new InvalidError('node_name is required');
    if (!Number.isSafeInteger(revision) || revision < 0) throw new InvalidError(`resource_version "${resourceVersion}" is not a revision (a whole number)`);
    await this.start();
    // Reports may arrive out of order (retries): a node's sync never goes backwards.
    if (revision <= (this.reported.get(node) ?? -1)) return;
    this.reported.set(node, revision);
    this.judgeAll();
  }

  /** wait answers once the pod is drained (drainVerdict) or its timeout (at most MAX_DRAIN_WAIT_MS) passes. */
  async wait(query: DrainQuery, signal?: AbortSignal): Promise<DrainAnswer> {
    if (!query.name) throw new InvalidError('the pod name is required');
    await this.start();
    const first = this.judge(query);
    if (first.drained) return { drained: true, message: '' };
    const timeoutMs = Math.min(Math.max(0, query.timeoutMs), MAX_DRAIN_WAIT_MS);
    return new Promise<DrainAnswer>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (answer: DrainAnswer) => {
        this.waiters.delete(waiter);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(answer);
      };
      const waiter: Waiter = { query, finish };
      const timedOut = () => {
        const verdict = this.judge(query);
        if (!verdict.drained) this.logger.info('endpoints not drained in time', { pod: `${query.namespace}/${query.name}`, timeoutMs, waitingFor: verdict.waitingFor });
        finish(verdict.drained ? { drained: true, message: '' } : { drained: false, message: `not drained after ${timeoutMs} ms: ${verdict.waitingFor}` });
      };
      const onAbort = () => finish({ drained: false, message: 'the caller went away' });
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort);
      timer = setTimeout(timedOut, timeoutMs);
    });
  }

  stop(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
    this.started = undefined;
    for (const waiter of [...this.waiters]) waiter.finish({ drained: false, message: 'the control plane is stopping' });
  }

  private start(): Promise<void> {
    this.started ??= (async () => {
      this.unsubscribe.push(await this.nodes.subscribe((type, object) => this.onNode(type, object)));
      this.unsubscribe.push(await this.services.subscribe((type, object) => this.onServiceObject(type, object)));
    })().catch((err: unknown) => {
      for (const stop of this.unsubscribe.splice(0)) stop();
      this.started = undefined;
      throw err;
    });
    return this.started;
  }

  private judge(query: DrainQuery): DrainVerdict {
    const refs = [query.uid, podRefKey({ namespace: query.namespace, name: query.name })].filter((r) => r !== '');
    const servingIn: string[] = [];
    let changedAt: number | undefined;
    for (const ref of refs) {
      for (const [slice, serving] of this.listedIn.get(ref) ?? []) if (serving) servingIn.push(slice);
      const at = this.changedAt.get(ref);
      if (at !== undefined && (changedAt === undefined || at > changedAt)) changedAt = at;
    }
    return drainVerdict({ servingIn, changedAt, readyNodes: [...this.readyNodes], reported: (n) => this.reported.get(n) });
  }

  private judgeAll(): void {
    for (const waiter of [...this.waiters]) if (this.judge(waiter.query).drained) waiter.finish({ drained: true, message: '' });
  }

  private onNode(type: StoreEventType, object: BerthObject): void {
    const name = object.metadata.name;
    const ready = type !== 'DELETED' && isReady(object as Node);
    if (ready === this.readyNodes.has(name)) return;
    if (ready) this.readyNodes.add(name);
    else this.readyNodes.delete(name);
    if (type === 'DELETED') this.reported.delete(name);
    this.judgeAll();
  }

  private onServiceObject(type: StoreEventType, object: BerthObject): void {
    if (object.kind !== 'EndpointSlice') return;
    const key = cacheKey(object);
    const revision = Number(object.metadata.resourceVersion ?? '0');
    const before = this.sliceEntries.get(key) ?? [];
    const after = type === 'DELETED' ? [] : slicePods(object as EndpointSlice);
    if (after.length > 0) this.sliceEntries.set(key, after);
    else this.sliceEntries.delete(key);
    for (const { pod } of before) this.listedIn.get(pod)?.delete(key);
    for (const { pod, serving } of after) {
      let slices = this.listedIn.get(pod);
      if (!slices) this.listedIn.set(pod, (slices = new Map()));
      slices.set(key, serving);
    }
    for (const pod of new Set([...before, ...after].map((e) => e.pod))) {
      this.changedAt.set(pod, Math.max(revision, this.changedAt.get(pod) ?? 0));
      if ((this.listedIn.get(pod)?.size ?? 0) === 0) this.release(pod);
      else this.released.delete(pod);
    }
    this.judgeAll();
  }

  /** release keeps the last change of a pod no slice lists any more, for a while (a bounded number of them). */
  private release(pod: string): void {
    this.listedIn.delete(pod);
    this.released.delete(pod);
    this.released.add(pod);
    while (this.released.size > MAX_RELEASED) {
      const oldest = this.released.values().next().value as string;
      this.released.delete(oldest);
      this.changedAt.delete(oldest);
    }
  }
}
