import { JOB_LABELS } from '../../proto/objects/job.js';
import type { Job } from '../../proto/objects/job.js';

/**
 * generateJobSelector gives a new Job (whose uid is set) the labels and selector Kubernetes'
 * API gives it: its pod template is labelled with the Job's name and uid (new and legacy label
 * names, unless the user set them), the selector matches the uid, and a Job without labels takes
 * its template's. With manualSelector the user's selector and labels are left alone. Changes `job`.
 */
export function generateJobSelector(job: Job): void {
  if (job.spec.manualSelector === true) return;
  const uid = job.metadata.uid ?? '';
  const template = job.spec.template;
  template.metadata ??= {};
  const labels = { ...(template.metadata.labels ?? {}) };
  labels[JOB_LABELS.controllerUid] ??= uid;
  labels[JOB_LABELS.jobName] ??= job.metadata.name;
  labels[JOB_LABELS.legacyControllerUid] ??= uid;
  labels[JOB_LABELS.legacyJobName] ??= job.metadata.name;
  template.metadata.labels = labels;
  const selector = job.spec.selector ?? {};
  selector.matchLabels = { ...(selector.matchLabels ?? {}) };
  selector.matchLabels[JOB_LABELS.controllerUid] ??= uid;
  job.spec.selector = selector;
  if (!job.metadata.labels || Object.keys(job.metadata.labels).length === 0) job.metadata.labels = { ...labels };
}
