import type { DaemonSet } from '../../proto/objects/daemonset.js';
import type { Job } from '../../proto/objects/job.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { PodTemplateSpec } from '../../proto/objects/pod.js';
import { formatLabelSelector } from '../../proto/labels.js';
import { age, humanDuration } from './age.js';

/** How `berth get` prints DaemonSets and Jobs: kubectl's columns (Jobs as kubectl 1.30+ prints them, with STATUS). */

function containersAndImages(template: PodTemplateSpec | undefined): string[] {
  const cs = template?.spec.containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(',')];
}

function hasTrueCondition(job: Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** jobStatusText is kubectl's Job STATUS: Complete, Failed, Terminating, Suspended, or Running. */
export function jobStatusText(job: Job): string {
  if (hasTrueCondition(job, 'Complete')) return 'Complete';
  if (hasTrueCondition(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (hasTrueCondition(job, 'Suspended')) return 'Suspended';
  return 'Running';
}

/** jobCompletionsText is kubectl's COMPLETIONS: `succeeded/completions`, or `n/1 of P` for a parallel work queue. */
export function jobCompletionsText(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const { completions, parallelism } = job.spec;
  if (completions !== undefined) return `${succeeded}/${completions}`;
  if (parallelism !== undefined && parallelism > 1) return `${succeeded}/1 of ${parallelism}`;
  return `${succeeded}/1`;
}

/** jobDurationText is kubectl's DURATION: start to completion, or to now while not complete; empty before it starts. */
export function jobDurationText(job: Job, now: number): string {
  const start = Date.parse(job.status?.startTime ?? '');
  if (!Number.isFinite(start)) return '';
  const end = Date.parse(job.status?.completionTime ?? '');
  return humanDuration((Number.isFinite(end) ? end : now) - start);
}

/** WORKLOAD_COLUMNS are the DaemonSet and Job entries of `berth get`'s column table. */
export const WORKLOAD_COLUMNS = {
  DaemonSet: {
    headers: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (o: BerthObject, now: number): string[] => {
      const ds = o as DaemonSet;
      const s = ds.status;
      const selector = Object.entries(ds.spec.template.spec.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
      return [
        ds.metadata.name,
        String(s?.desiredNumberScheduled ?? 0),
        String(s?.currentNumberScheduled ?? 0),
        String(s?.numberReady ?? 0),
        String(s?.updatedNumberScheduled ?? 0),
        String(s?.numberAvailable ?? 0),
        selector === '' ? '<none>' : selector,
        age(ds.metadata.creationTimestamp, now),
      ];
    },
    wideRow: (o: BerthObject): string[] => [...containersAndImages((o as DaemonSet).spec.template), formatLabelSelector((o as DaemonSet).spec.selector)],
  },
  Job: {
    headers: ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (o: BerthObject, now: number): string[] => {
      const job = o as Job;
      return [job.metadata.name, jobStatusText(job), jobCompletionsText(job), jobDurationText(job, now), age(job.metadata.creationTimestamp, now)];
    },
    wideRow: (o: BerthObject): string[] => {
      const job = o as Job;
      return [...containersAndImages(job.spec.template), job.spec.selector ? formatLabelSelector(job.spec.selector) : '<none>'];
    },
  },
};
