import type { DaemonSet } from '../objects/daemonset.js';
import { JOB_LABELS } from '../objects/job.js';
import type { Job } from '../objects/job.js';
import type { IntOrString } from '../objects/meta.js';
import type { CheckOutput } from './check.js';
import { checkPodSpec } from './checks-pod.js';
import { checkIntOrPercent, checkSelectorAndTemplate } from './checks-workloads.js';
import { quote } from './problems.js';

/** The checks of DaemonSets (apps/v1) and Jobs (batch/v1), with Kubernetes' wording. */

/** unsetOrZero: a DaemonSet's surge is zero when unset (its default), unlike a Deployment's. */
function unsetOrZero(value: IntOrString | undefined): boolean {
  return value === undefined || value === 0 || value === '0%';
}

export function checkDaemonSetTemplate(ds: DaemonSet, out: CheckOutput): void {
  checkSelectorAndTemplate(ds.spec.selector, ds.spec.template, out, 'daemonset');
  const policy = ds.spec.template.spec.restartPolicy;
  if (policy !== undefined && policy !== 'Always') {
    out.error('spec.template.spec.restartPolicy', `Unsupported value: ${quote(policy)}: supported values: "Always"`);
  }
}

/**
 * checkDaemonSetUpdateStrategy: maxUnavailable as Kubernetes checks it. Berth replaces a node's
 * daemon pod by deleting it before creating the new one, so a surge is only warned about, and a
 * rolling update that may not make any node unavailable could never progress.
 */
export function checkDaemonSetUpdateStrategy(ds: DaemonSet, out: CheckOutput): void {
  const strategy = ds.spec.updateStrategy;
  const ru = strategy?.rollingUpdate;
  if (!strategy || !ru) return;
  if ((strategy.type ?? 'RollingUpdate') === 'OnDelete') {
    out.error('spec.updateStrategy.rollingUpdate', 'Forbidden: may not be specified when strategy `type` is \'OnDelete\'');
    return;
  }
  const base = 'spec.updateStrategy.rollingUpdate';
  checkIntOrPercent(ru.maxUnavailable, `${base}.maxUnavailable`, out, true);
  checkIntOrPercent(ru.maxSurge, `${base}.maxSurge`, out, true);
  if (!unsetOrZero(ru.maxSurge)) out.warn(`${base}.maxSurge`, 'unsupported value: Berth does not surge daemon pods and treats it as 0');
  if (ru.maxUnavailable !== undefined && unsetOrZero(ru.maxUnavailable)) {
    out.error(`${base}.maxUnavailable`, 'Invalid value: 0: may not be 0 when `maxSurge` is 0');
  }
}

/** checkJobTemplate: a Job's pods must end, so they restart Never or OnFailure; its selector is generated unless manualSelector. */
export function checkJobTemplate(job: Job, out: CheckOutput): void {
  const policy = job.spec.template.spec.restartPolicy;
  const path = 'spec.template.spec.restartPolicy';
  if (policy === undefined) out.error(path, 'Required value: valid values: "OnFailure", "Never"');
  else if (policy !== 'OnFailure' && policy !== 'Never') out.error(path, `Unsupported value: ${quote(policy)}: supported values: "OnFailure", "Never"`);
  const selector = job.spec.selector;
  if (job.spec.manualSelector === true) {
    if (!selector) out.error('spec.selector', 'Required value');
    else checkSelectorAndTemplate(selector, job.spec.template, out, 'job');
    return;
  }
  // Generated (or about to be): the pods are found by the Job's uid, never by what the user wrote.
  const uid = job.metadata.uid;
  const selectedUid = selector?.matchLabels?.[JOB_LABELS.controllerUid];
  if (selector && uid && selectedUid !== uid) {
    out.error('spec.selector', `Invalid value: ${quote(selector)}: \`selector\` not auto-generated`);
  }
  if (selector) checkSelectorAndTemplate(selector, job.spec.template, out, 'job');
  else checkPodSpec(job.spec.template.spec, 'spec.template.spec', out);
}
