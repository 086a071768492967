import type { Logger } from 'winston';
import type { Job } from '../../proto/objects/job.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE } from '../../proto/resources.js';
import type { EventSink } from '../events/event-recorder.js';
import { newIdentity } from '../objects/identity.js';
import { deepEqual } from '../objects/json.js';
import type { ObjectStore } from '../store/object-store.js';
import type { StoreEventType } from '../store/prefix-watch.js';
import { cacheKey, type ObjectCache } from '../watch/object-cache.js';
import { DONE, KeyedMutex, controllerRef, ignoreNotFound, runUntilAborted, updateFromCache } from './controller-util.js';
import { Expectations } from './expectations.js';
import { DEFAULT_FAILURE_BACKOFF_MS, countPods, decideJob, jobFinished, jobPodFor, jobStatus, ttlExpiresInMs } from './job-logic.js';
import type { JobStep } from './job-logic.js';
import { OwnedPods } from './owned-pods.js';
import { generatedPodName } from './replicaset-logic.js';
import { StatusPacer } from './status-pacer.js';
import { WorkQueue } from './work-queue.js';
import type { ReconcileResult } from './work-queue.js';

const jobs = RESOURCE.jobs;

/** JobControllerOptions tune the controller; the defaults are Kubernetes'. */
export interface JobControllerOptions {
  workers?: number;
  expectationsTimeoutMs?: number;
  /** Least time between two status writes of one Job; 0 (default) writes every change. */
  statusIntervalMs?: number;
  /** First delay before a failed pod is replaced (Kubernetes: 10 s, doubling per failure). */
  failureBackoffMs?: number;
  now?: () => number;
}

/**
 * JobController runs a Job's pods until enough succeed, or until it gives up: after more than
 * backoffLimit failures (BackoffLimitExceeded) or activeDeadlineSeconds after it started
 * (DeadlineExceeded); either way its remaining pods are deleted and a Complete or Failed
 * condition is set for good. A finished Job with ttlSecondsAfterFinished is deleted that long
 * after it finished (Kubernetes' TTL-after-finished controller, folded in here); the garbage
 * collector then removes its pods. Keys are `namespace/name` of Jobs; pod changes enqueue their
 * owner. Expectations keep a lagging informer from making a pod twice. Lifecycle: construct
 * (registers informer handlers), start(signal) runs workers until it aborts.
 */
export class JobController {
  readonly queue = new WorkQueue('job');
  private readonly mutex = new KeyedMutex();
  readonly expectations: Expectations;
  private readonly owned: OwnedPods;
  private readonly statusPacer: StatusPacer;
  private readonly now: () => number;

  constructor(
    private readonly store: ObjectStore,
    private readonly jobs: ObjectCache,
    pods: ObjectCache,
    private readonly events: EventSink,
    private readonly logger: Logger,
    private readonly options: JobControllerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.expectations = new Expectations(options.expectationsTimeoutMs ?? 30_000, this.now);
    this.owned = new OwnedPods(store, pods, this.expectations, events);
    this.statusPacer = new StatusPacer(options.statusIntervalMs ?? 0, this.now);
    jobs.onChange((_type, job) => this.queue.add(cacheKey(job)));
    pods.onChange((type, pod, previous) => this.onPodChange(type, pod as Pod, previous as Pod | undefined));
  }

  start(signal: AbortSignal): Promise<void> {
    return runUntilAborted(this.queue, this.options.workers ?? 2, (key) => this.reconcile(key), this.logger, signal);
  }

  /** reconcile takes one step toward the desired state for `key` (one at a time per key). */
  reconcile(key: string): Promise<ReconcileResult> {
    return this.mutex.run(key, () => this.reconcileOnce(key));
  }

  private async reconcileOnce(key: string): Promise<ReconcileResult> {
    const job = this.jobs.get(key) as Job | undefined;
    if (!job) {
      this.expectations.forget(key);
      this.statusPacer.forget(key);
      return DONE;
    }
    const nowMs = this.now();
    if (jobFinished(job)) return this.afterFinish(job, nowMs);
    if (!this.expectations.satisfied(key) || job.metadata.deletionTimestamp) return DONE;
    const counts = countPods(job, this.owned.of(job));
    const step = decideJob(job, counts, nowMs, this.options.failureBackoffMs ?? DEFAULT_FAILURE_BACKOFF_MS);
    await this.owned.delete(key, job, step.delete);
    const pods = Array.from({ length: step.create }, () => jobPodFor(job, generatedPodName(job.metadata.name), newIdentity(new Date(nowMs))));
    await this.owned.create(key, job, pods);
    const statusWait = await this.updateStatus(key, job, jobStatus(job, counts, step, nowMs), step);
    const waits = [statusWait, step.requeueAfterMs].filter((w): w is number => w !== undefined);
    return waits.length === 0 ? DONE : { kind: 'requeueAfter', delayMs: Math.max(0, Math.min(...waits)) + 50 };
  }

  /** afterFinish deletes a finished Job once its TTL has run out, or comes back then. */
  private async afterFinish(job: Job, nowMs: number): Promise<ReconcileResult> {
    const expiresIn = ttlExpiresInMs(job, nowMs);
    if (expiresIn === undefined) return DONE;
    if (expiresIn > 0) return { kind: 'requeueAfter', delayMs: expiresIn + 50 };
    // Guarded on the revision judged: a Job changed meanwhile (its TTL, say) is judged again.
    const live = await this.store.tryGet(jobs, job.metadata.namespace, job.metadata.name);
    if (!live || live.metadata.uid !== job.metadata.uid) return DONE;
    await ignoreNotFound(this.store.delete(jobs, job.metadata.namespace, job.metadata.name, live.metadata.resourceVersion));
    this.logger.info('job deleted after ttlSecondsAfterFinished', { job: cacheKey(job) });
    return DONE;
  }

  private onPodChange(type: StoreEventType, pod: Pod, previous: Pod | undefined): void {
    const known = type === 'DELETED' ? (previous ?? pod) : pod;
    const ref = controllerRef(known);
    if (ref?.kind !== 'Job') return;
    const key = `${known.metadata.namespace ?? 'default'}/${ref.name}`;
    if (type === 'ADDED') this.expectations.observeCreate(key, pod.metadata.name);
    if (type === 'DELETED' || (pod.metadata.deletionTimestamp && !previous?.metadata.deletionTimestamp)) this.expectations.observeDelete(key, pod.metadata.name);
    this.queue.add(key);
  }

  /** updateStatus writes the status if it changed; a finishing step is never delayed, so the Job's end is recorded with it. */
  private async updateStatus(key: string, job: Job, status: Job['status'], step: JobStep): Promise<number | undefined> {
    if (deepEqual(job.status ?? {}, status)) return undefined;
    const wait = step.finish ? 0 : this.statusPacer.waitMs(key);
    if (wait > 0) return wait;
    await updateFromCache(this.store, jobs, job, (current: BerthObject) => {
      if (current.metadata.uid !== job.metadata.uid || deepEqual(current.status ?? {}, status)) return undefined;
      current.status = status;
      return current;
    });
    this.statusPacer.wrote(key);
    if (step.finish) {
      const complete = step.finish.type === 'Complete';
      this.events.record(job, complete ? 'Normal' : 'Warning', complete ? 'Completed' : (step.finish.reason ?? 'Failed'), complete ? 'Job completed' : (step.finish.message ?? ''));
    }
    return undefined;
  }
}
