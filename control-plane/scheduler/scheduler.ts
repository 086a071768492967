import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { Logger } from 'winston';
import type { Node } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE } from '../../proto/resources.js';
import type { EventSink } from '../events/event-recorder.js';
import { updateObject } from '../store/guarded-change.js';
import type { GuardedChange } from '../store/guarded-change.js';
import type { ObjectStore } from '../store/object-store.js';
import { Binder } from './binder.js';
import type { BindOutcome } from './binder.js';
import { EventPacer } from './event-pacer.js';
import type { EventPacerOptions } from './event-pacer.js';
import { DEFAULT_SCHEDULER_NAME, needsScheduling, occupiesNode, podInfo, podKey } from './pod-info.js';
import type { PodInfo } from './pod-info.js';
import { unschedulablePod } from './pod-conditions.js';
import { Planner } from './planner.js';
import type { PlannerOptions } from './planner.js';
import { boundPodChanged, podSpecChanged, schedulingView } from './retry-triggers.js';
import { SchedulingQueue } from './scheduling-queue.js';
import { ClusterSnapshot } from './snapshot.js';
import type { ObjectCache } from '../watch/object-cache.js';


/** SchedulerOptions tune the scheduler; every field has a default. */
export interface SchedulerOptions extends Pick<PlannerOptions, 'percentageOfNodesToScore'> {
  /** Pods with this spec.schedulerName are ours (default "default-scheduler"). */
  schedulerName?: string;
  /** Most pods planned in one round; each round commits in transactions of up to 128. */
  batchSize?: number;
  /** Rounds whose bindings may be committing at once while the next round is planned. */
  maxCommittingRounds?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Unschedulable pods are retried this often even if nothing seems to have changed. */
  unschedulableRetryMs?: number;
  /** How events are paced while the scheduler is busy binding (see EventPacer). */
  events?: EventPacerOptions;
}

/**
 * Scheduler places pending pods on nodes. It decides against an in-memory ClusterSnapshot fed
 * by the pod and node informers (Planner, filters, scorers) and commits each round of
 * decisions with revision-guarded etcd transactions (Binder). Pods that fit nowhere stay
 * Pending with a PodScheduled=False condition saying why, and are retried when the cluster
 * changes.
 *
 * Lifecycle: construct once (it subscribes to the informers, which the caller starts); start
 * runs until its signal aborts or stop() is called, typically while holding leadership; it
 * may be started again later, rebuilding its view from the informers.
 */
export class Scheduler {
  private readonly schedulerName: string;
  private readonly binder: Binder;
  private snapshot = new ClusterSnapshot();
  private planner: Planner;
  private queue: SchedulingQueue;
  /** Pods whose binding is being committed: not planned again until it returns. */
  private readonly inFlight = new Set<string>();
  /** Pods the binder saw newer than the informer has delivered yet. */
  private readonly fresher = new Map<string, Pod>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly committing = new Set<Promise<void>>();
  private running = false;
  private abort: AbortController | undefined;
  private finished: Promise<void> | undefined;
  private readonly events: EventPacer;

  constructor(
    private readonly store: ObjectStore,
    private readonly podInformer: ObjectCache,
    private readonly nodeInformer: ObjectCache,
    events: EventSink,
    private readonly logger: Logger,
    private readonly options: SchedulerOptions = {},
  ) {
    this.schedulerName = options.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.binder = new Binder(store, this.schedulerName);
    this.events = new EventPacer(events, () => this.running && (this.queue.activeCount > 0 || this.committing.size > 0), logger, options.events);
    this.planner = new Planner(this.snapshot, options);
    this.queue = this.newQueue();
    podInformer.onChange((type, object, previous) => {
      if (this.running) this.onPod(type, object as Pod, previous as Pod | undefined);
    });
    nodeInformer.onChange((type, object, previous) => {
      if (this.running) this.onNode(type, object as Node, previous as Node | undefined);
    });
  }

  /** start schedules until `signal` aborts or stop() is called; resolves once fully stopped. */
  async start(signal: AbortSignal): Promise<void> {
    const alreadyRunning = () => new Error('the scheduler is already running: stop it (or abort its signal) before starting it again');
    if (this.abort && !this.abort.signal.aborted) throw alreadyRunning();
    // A previous term (leadership lost) may still be waiting for its last bindings.
    await this.finished?.catch(() => undefined);
    if (this.abort) throw alreadyRunning();
    const abort = new AbortController();
    this.abort = abort;
    const onAbort = () => abort.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) abort.abort();
    const run = this.run(abort.signal).finally(() => {
      signal.removeEventListener('abort', onAbort);
      this.abort = undefined;
    });
    this.finished = run;
    return run;
  }

  /** stop ends scheduling and waits for bindings in flight to be answered. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.finished;
  }

  private async run(signal: AbortSignal): Promise<void> {
    try {
      await this.waitForInformers(signal);
      if (signal.aborted) return;
      this.rebuild();
      this.running = true;
      const retryTimer = setInterval(() => this.queue.retryParked(), this.options.unschedulableRetryMs ?? 60_000);
      try {
        this.logger.info('scheduler started', { nodes: this.snapshot.nodeList().length, pending: this.queue.activeCount });
        await this.loop(signal);
      } finally {
        clearInterval(retryTimer);
      }
    } finally {
      this.running = false;
      // Events still held keep draining at the idle rate (EventPacer).
      await Promise.allSettled([...this.committing, ...this.tasks]);
      this.queue.close();
      this.inFlight.clear();
      this.fresher.clear();
      this.logger.info('scheduler stopped');
    }
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const batchSize = this.options.batchSize ?? 1024;
    const maxCommitting = this.options.maxCommittingRounds ?? 4;
    while (!signal.aborted) {
      const keys = this.queue.take(batchSize);
      if (keys.length === 0) {
        await this.queue.wait(signal);
        continue;
      }
      const planStarted = performance.now();
      const plan = this.planner.plan(this.podsToPlan(keys));
      this.logger.debug('round planned', { pods: keys.length, bind: plan.bindings.length, unschedulable: plan.unschedulable.length, ms: Math.round(performance.now() - planStarted) });
      for (const { pod } of plan.unschedulable) this.queue.park(pod.key);
      this.reportUnschedulable(plan.unschedulable);
      if (plan.bindings.length > 0) {
        for (const b of plan.bindings) this.inFlight.add(b.pod.key);
        while (this.committing.size >= maxCommitting) await Promise.race(this.committing);
        const commit = this.commit(plan.bindings).catch((err: unknown) => {
          this.logger.error('binding round failed', { error: String(err) });
        });
        this.committing.add(commit);
        void commit.finally(() => this.committing.delete(commit));
      }
      // Let informer events and transaction answers in between rounds.
      await yieldToEvents();
    }
  }

  /** podsToPlan reads the newest copy of each pod and keeps those that still need a node. */
  private podsToPlan(keys: readonly string[]): PodInfo[] {
    const out: PodInfo[] = [];
    for (const key of keys) {
      if (this.inFlight.has(key)) continue;
      let pod = this.podInformer.get(key) as Pod | undefined;
      const fresher = this.fresher.get(key);
      if (fresher && (!pod || Number(fresher.metadata.resourceVersion) > Number(pod.metadata.resourceVersion))) pod = fresher;
      if (!pod || !needsScheduling(pod, this.schedulerName)) continue;
      try {
        out.push(podInfo(pod, key));
      } catch (err) {
        this.logger.warn('pod cannot be scheduled: invalid requests', { pod: key, error: String(err) });
      }
    }
    return out;
  }

  private async commit(bindings: readonly { pod: PodInfo; nodeName: string }[]): Promise<void> {
    const now = new Date().toISOString();
    const started = performance.now();
    const outcomes = await this.binder.bind(bindings.map((b) => ({ pod: b.pod.pod, nodeName: b.nodeName })), now);
    this.logger.debug('binding round committed', { pods: bindings.length, ms: Math.round(performance.now() - started) });
    const counts: Record<string, number> = {};
    outcomes.forEach((outcome, i) => {
      const binding = bindings[i] as { pod: PodInfo; nodeName: string };
      this.inFlight.delete(binding.pod.key);
      counts[outcome.kind] = (counts[outcome.kind] ?? 0) + 1;
      this.settle(binding.pod, binding.nodeName, outcome);
    });
    const failed = outcomes.find((o) => o.kind === 'failed');
    if (failed) this.logger.warn('bindings failed; retrying after backoff', { ...counts, error: String(failed.error) });
    else if (counts.bound !== outcomes.length) this.logger.debug('some bindings were overtaken', counts);
  }

  /** settle applies one binding's outcome (see BindOutcome for what each means). */
  private settle(pod: PodInfo, nodeName: string, outcome: BindOutcome): void {
    const key = pod.key;
    switch (outcome.kind) {
      case 'bound':
        // The assumption stays until the informer delivers the bound pod.
        this.queue.delete(key);
        this.events.record(outcome.pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.pod.metadata.namespace ?? 'default'}/${pod.pod.metadata.name} to ${nodeName}`);
        return;
      case 'gone':
      case 'alreadyBound':
        this.forget(key);
        this.queue.delete(key);
        return;
      case 'changed':
        this.forget(key);
        this.fresher.set(key, outcome.current);
        this.queue.add(key);
        return;
      case 'failed':
        this.forget(key);
        this.queue.park(key, { retry: true });
        return;
    }
  }

  /** forget drops an assumption that did not become a binding; what it held may now fit a parked pod. */
  private forget(key: string): void {
    if (this.snapshot.placementOf(key)?.assumed) {
      this.snapshot.forget(key);
      this.queue.retryParked();
    }
  }

  /**
   * reportUnschedulable writes PodScheduled=False with the message, and a Warning event, for
   * the pods whose condition does not already say exactly that; retries that reach the same
   * verdict write nothing. The writes of a round go in guarded batches, like bindings.
   */
  private reportUnschedulable(unschedulable: readonly { pod: PodInfo; message: string }[]): void {
    const now = new Date().toISOString();
    const writes: GuardedChange[] = [];
    for (const { pod, message } of unschedulable) {
      const updated = unschedulablePod(pod.pod, message, now);
      if (!updated) continue;
      this.events.record(pod.pod, 'Warning', 'FailedScheduling', message);
      writes.push(updateObject(RESOURCE.pods, updated));
    }
    if (writes.length === 0) return;
    this.track(
      this.store.commit(writes).then((results) => {
        // A conflict means the pod changed or went away: its informer event brings it back if need be.
        const failed = results.find((r) => r.kind === 'error');
        if (failed) this.logger.warn('could not record why pods are unschedulable', { pods: writes.length, error: String(failed.error) });
      }),
    );
  }

  private onPod(type: string, pod: Pod, previous: Pod | undefined): void {
    const key = podKey(pod);
    if (type === 'DELETED') {
      this.snapshot.removePod(key);
      this.queue.delete(key);
      this.fresher.delete(key);
      if (previous && occupiesNode(previous)) this.queue.retryParked();
      return;
    }
    const placedBefore = this.snapshot.placementOf(key);
    this.snapshot.setPod(pod);
    // Another scheduler bound a pod we had assumed elsewhere: the node we assumed has room again.
    if (placedBefore?.assumed && pod.spec.nodeName && pod.spec.nodeName !== placedBefore.nodeName) this.queue.retryParked();
    else if (occupiesNode(pod) && boundPodChanged(previous, pod)) this.queue.retryParked();
    const fresher = this.fresher.get(key);
    if (fresher && Number(pod.metadata.resourceVersion) >= Number(fresher.metadata.resourceVersion)) this.fresher.delete(key);
    if (needsScheduling(pod, this.schedulerName)) {
      if (this.inFlight.has(key)) return;
      // Our own condition write changes only status: that is no reason to try again.
      if (this.queue.isParked(key) && previous && !podSpecChanged(previous, pod)) return;
      this.queue.add(key);
      return;
    }
    this.queue.delete(key);
    if (previous && occupiesNode(previous) && !occupiesNode(pod)) this.queue.retryParked();
  }

  private onNode(type: string, node: Node, previous: Node | undefined): void {
    if (type === 'DELETED') {
      this.snapshot.removeNode(node.metadata.name);
      return;
    }
    this.snapshot.setNode(node);
    if (!previous || schedulingView(previous) !== schedulingView(node)) this.queue.retryParked();
  }

  private rebuild(): void {
    this.snapshot = new ClusterSnapshot();
    this.planner = new Planner(this.snapshot, this.options);
    this.queue = this.newQueue();
    for (const node of this.nodeInformer.list()) this.snapshot.setNode(node as Node);
    for (const object of this.podInformer.list()) {
      const pod = object as Pod;
      this.snapshot.setPod(pod);
      if (needsScheduling(pod, this.schedulerName)) this.queue.add(podKey(pod));
    }
  }

  private newQueue(): SchedulingQueue {
    return new SchedulingQueue({ initialBackoffMs: this.options.initialBackoffMs ?? 1000, maxBackoffMs: this.options.maxBackoffMs ?? 10_000 });
  }

  private async waitForInformers(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !(this.podInformer.hasSynced && this.nodeInformer.hasSynced)) await new Promise((r) => setTimeout(r, 50));
  }

  private track(task: Promise<void>): void {
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }
}
