import type { Job, JobStatus } from '../../proto/objects/job.js';
import type { Condition } from '../../proto/objects/meta.js';
import type { Pod } from '../../proto/objects/pod.js';
import { findCondition, isReady, setCondition } from '../../proto/objects/conditions.js';
import { apiTimestamp } from '../../proto/time.js';
import type { NewObjectIdentity } from '../objects/identity.js';
import { deepCopy } from '../objects/json.js';
import { isPodActive } from './controller-util.js';
import { compareForScaleDown } from './replicaset-logic.js';
import { templatePod } from './template-pod.js';

/** The pure decisions of the Job controller, tested without etcd. */

/** Kubernetes' first delay before a failed pod is replaced; it doubles with each failure. */
export const DEFAULT_FAILURE_BACKOFF_MS = 10_000;
/** Kubernetes' longest such delay. */
export const MAX_FAILURE_BACKOFF_MS = 6 * 60_000;

/** The finished conditions, with Kubernetes' reasons and messages. */
export const JOB_COMPLETE = { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' } as const satisfies Condition;
export const BACKOFF_LIMIT_EXCEEDED = { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' } as const satisfies Condition;
export const DEADLINE_EXCEEDED = { type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' } as const satisfies Condition;

/** jobFinished: the Job has a Complete or Failed condition that is True; nothing more happens to it but its TTL. */
export function jobFinished(job: Job): { type: 'Complete' | 'Failed'; at: string | undefined } | undefined {
  for (const type of ['Complete', 'Failed'] as const) {
    const c = findCondition(job.status?.conditions, type);
    if (c?.status === 'True') return { type, at: c.lastTransitionTime };
  }
  return undefined;
}

/** jobPodFor builds one pod of the Job: its template (labels carry the Job's uid), the Job as controller owner, the API's defaults. */
export function jobPodFor(job: Job, name: string, identity: NewObjectIdentity): Pod {
  return templatePod(job, job.spec.template, name, identity);
}

/** PodCounts are a Job's pods by what became of them. */
export interface PodCounts {
  active: Pod[];
  succeeded: number;
  failed: number;
  terminating: number;
  ready: number;
  /** When the newest failure happened (ms), for the back-off before the next pod. */
  lastFailureMs: number | undefined;
}

function finishedAtMs(pod: Pod): number | undefined {
  const times = (pod.status?.containerStatuses ?? []).map((c) => Date.parse(c.state?.terminated?.finishedAt ?? '')).filter(Number.isFinite);
  if (times.length > 0) return Math.max(...times);
  const t = Date.parse(findCondition(pod.status?.conditions, 'Ready')?.lastTransitionTime ?? '');
  return Number.isFinite(t) ? t : undefined;
}

/**
 * countPods sorts the Job's pods. Finished pods are counted from the pods that still exist, but
 * never below what status already counted: a finished pod deleted by hand stays counted (where
 * Kubernetes keeps a finalizer on each pod until it is counted, Berth keeps the larger number).
 */
export function countPods(job: Job, owned: readonly Pod[]): PodCounts {
  const active = owned.filter(isPodActive);
  const failedPods = owned.filter((p) => p.status?.phase === 'Failed');
  const failureTimes = failedPods.map(finishedAtMs).filter((t): t is number => t !== undefined);
  return {
    active,
    succeeded: Math.max(job.status?.succeeded ?? 0, owned.filter((p) => p.status?.phase === 'Succeeded').length),
    failed: Math.max(job.status?.failed ?? 0, failedPods.length),
    terminating: owned.filter((p) => p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').length,
    ready: active.filter(isReady).length,
    lastFailureMs: failureTimes.length > 0 ? Math.max(...failureTimes) : undefined,
  };
}

/** pastBackoffLimit: more failed pods than backoffLimit, or (restartPolicy OnFailure) as many container restarts in running pods (Kubernetes' rule). */
export function pastBackoffLimit(job: Job, counts: PodCounts): boolean {
  const limit = job.spec.backoffLimit ?? 6;
  if (counts.failed > limit) return true;
  if (job.spec.template.spec.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const pod of counts.active) for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) restarts += c.restartCount;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** JobStep is what one reconcile does to a Job's pods, and the condition it finishes with, if any. */
export interface JobStep {
  create: number;
  delete: Pod[];
  finish?: Condition;
  /** Reconcile again after this long: a deadline, a back-off or a TTL ends then. */
  requeueAfterMs?: number;
}

/** failureBackoffMs: how long after the newest failure the next pod may start (10 s doubling per failure, at most 6 min). */
export function failureBackoffMs(failures: number, baseMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(baseMs * 2 ** (failures - 1), MAX_FAILURE_BACKOFF_MS);
}

/**
 * decideJob takes the next step of a running Job: fail it (deadline passed, or back-off limit),
 * complete it (enough successes; for a work queue, any success once nothing runs), or keep
 * min(parallelism, completions still needed) pods running, creating the missing ones after the
 * failure back-off and deleting extras (parallelism lowered).
 */
export function decideJob(job: Job, counts: PodCounts, nowMs: number, backoffBaseMs = DEFAULT_FAILURE_BACKOFF_MS): JobStep {
  const started = Date.parse(job.status?.startTime ?? '');
  const deadline = job.spec.activeDeadlineSeconds;
  if (deadline !== undefined && Number.isFinite(started) && nowMs >= started + deadline * 1000) return { create: 0, delete: counts.active, finish: DEADLINE_EXCEEDED };
  if (pastBackoffLimit(job, counts)) return { create: 0, delete: counts.active, finish: BACKOFF_LIMIT_EXCEEDED };
  const completions = job.spec.completions;
  const parallelism = job.spec.parallelism ?? 1;
  const done = completions !== undefined ? counts.succeeded >= completions : counts.succeeded > 0 && counts.active.length === 0;
  if (done) return { create: 0, delete: counts.active, finish: JOB_COMPLETE };
  const deadlineWait = deadline !== undefined && Number.isFinite(started) ? started + deadline * 1000 - nowMs : undefined;
  // A work queue with a success starts nothing more, and lets the pods still running finish.
  const want = completions !== undefined ? Math.min(parallelism, completions - counts.succeeded) : counts.succeeded > 0 ? Math.min(parallelism, counts.active.length) : parallelism;
  const diff = want - counts.active.length;
  if (diff < 0) return { create: 0, delete: [...counts.active].sort(compareForScaleDown).slice(0, -diff), ...(deadlineWait !== undefined ? { requeueAfterMs: deadlineWait } : {}) };
  const backoffEnds = counts.lastFailureMs !== undefined ? counts.lastFailureMs + failureBackoffMs(counts.failed, backoffBaseMs) : nowMs;
  if (diff > 0 && backoffEnds > nowMs) {
    const wait = Math.min(backoffEnds - nowMs, deadlineWait ?? Infinity);
    return { create: 0, delete: [], requeueAfterMs: wait };
  }
  return { create: Math.max(0, diff), delete: [], ...(deadlineWait !== undefined ? { requeueAfterMs: deadlineWait } : {}) };
}

/** jobStatus is the status after a step: counts, the start time (set once), and, when finishing, the condition and completion time. */
export function jobStatus(job: Job, counts: PodCounts, step: JobStep, nowMs: number): JobStatus {
  const now = apiTimestamp(nowMs);
  const previous = job.status ?? {};
  const finishing = step.finish !== undefined;
  const status: JobStatus = {
    ...(previous.startTime ? { startTime: previous.startTime } : { startTime: now }),
    active: finishing ? 0 : counts.active.length - step.delete.length + step.create,
    succeeded: counts.succeeded,
    failed: counts.failed,
    terminating: counts.terminating,
    ready: finishing ? 0 : counts.ready,
  };
  if (previous.completionTime) status.completionTime = previous.completionTime;
  let conditions = previous.conditions ? deepCopy(previous.conditions) : undefined;
  if (step.finish) {
    conditions = setCondition(conditions, { ...step.finish, lastProbeTime: now }, now);
    if (step.finish.type === 'Complete') status.completionTime = now;
  }
  if (conditions && conditions.length > 0) status.conditions = conditions;
  return status;
}

/** ttlExpiresInMs: for a finished Job with ttlSecondsAfterFinished, how long until it is deleted (0 or less: now). */
export function ttlExpiresInMs(job: Job, nowMs: number): number | undefined {
  const ttl = job.spec.ttlSecondsAfterFinished;
  const finished = jobFinished(job);
  if (ttl === undefined || !finished) return undefined;
  const at = Date.parse(job.status?.completionTime ?? finished.at ?? '');
  return Number.isFinite(at) ? at + ttl * 1000 - nowMs : 0;
}
