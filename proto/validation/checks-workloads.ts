import type { Deployment, ReplicaSet } from '../objects/apps.js';
import type { IntOrString, LabelSelector } from '../objects/meta.js';
import type { PodTemplateSpec } from '../objects/pod.js';
import { matches, selectorFromLabelSelector } from '../labels.js';
import type { CheckOutput } from './check.js';
import { checkLabels, checkSelectorLabels } from './checks-meta.js';
import { checkPodSpec } from './checks-pod.js';
import { quote } from './problems.js';

/** checkSelectorAndTemplate: the rules Deployments, ReplicaSets, DaemonSets and Jobs share (`kind` as the message names it). */
export function checkSelectorAndTemplate(selector: LabelSelector, template: PodTemplateSpec | undefined, out: CheckOutput, kind = 'deployment'): void {
  const reqs = selectorFromLabelSelector(selector);
  if (reqs.length === 0) {
    out.error('spec.selector', `Invalid value: {}: empty selector is invalid for ${kind}`);
  }
  checkSelectorLabels(selector.matchLabels, 'spec.selector.matchLabels', out);
  (selector.matchExpressions ?? []).forEach((e, i) => {
    const needsValues = e.operator === 'In' || e.operator === 'NotIn';
    const count = (e.values ?? []).length;
    if (needsValues && count === 0) {
      out.error(`spec.selector.matchExpressions[${i}].values`, `Required value: must be specified when \`operator\` is '${e.operator}'`);
    }
    if (!needsValues && count > 0) {
      out.error(`spec.selector.matchExpressions[${i}].values`, `Forbidden: may not be specified when \`operator\` is '${e.operator}'`);
    }
  });
  if (!template) return;
  checkLabels(template.metadata, 'spec.template.metadata', out);
  const labels = template.metadata?.labels ?? {};
  if (reqs.length > 0 && !matches(reqs, labels)) {
    out.error('spec.template.metadata.labels', `Invalid value: ${quote(labels)}: \`selector\` does not match template \`labels\``);
  }
  checkPodSpec(template.spec, 'spec.template.spec', out);
}

export function checkDeploymentTemplate(d: Deployment, out: CheckOutput): void {
  checkSelectorAndTemplate(d.spec.selector, d.spec.template, out);
  const policy = d.spec.template.spec.restartPolicy;
  if (policy !== undefined && policy !== 'Always') {
    out.error('spec.template.spec.restartPolicy', `Unsupported value: ${quote(policy)}: supported values: "Always"`);
  }
}

export function checkReplicaSetTemplate(rs: ReplicaSet, out: CheckOutput): void {
  checkSelectorAndTemplate(rs.spec.selector, rs.spec.template, out);
  if (!rs.spec.template && (rs.spec.replicas ?? 1) > 0) {
    out.error('spec.template', 'Required value: a pod template is needed to run replicas');
  }
  const policy = rs.spec.template?.spec.restartPolicy;
  if (policy !== undefined && policy !== 'Always') {
    out.error('spec.template.spec.restartPolicy', `Unsupported value: ${quote(policy)}: supported values: "Always"`);
  }
}

const PERCENT = /^(\d+)%$/;

/** checkIntOrPercent: a count (not negative) or a percentage; with `atMost100`, a percentage of at most 100. */
export function checkIntOrPercent(value: IntOrString | undefined, path: string, out: CheckOutput, atMost100 = false): void {
  if (value === undefined) return;
  if (typeof value === 'number') {
    if (value < 0) out.error(path, `Invalid value: ${value}: must be greater than or equal to 0`);
    return;
  }
  const m = PERCENT.exec(value);
  if (!m) out.error(path, `Invalid value: ${quote(value)}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%')`);
  else if (atMost100 && Number(m[1]) > 100) out.error(path, `Invalid value: ${quote(value)}: must not be greater than 100%`);
}

function isZero(value: IntOrString | undefined): boolean {
  return value === 0 || value === '0%';
}

export function checkDeploymentStrategy(d: Deployment, out: CheckOutput): void {
  const strategy = d.spec.strategy;
  if (!strategy) return;
  const type = strategy.type ?? 'RollingUpdate';
  if (type === 'Recreate' && strategy.rollingUpdate) {
    out.error('spec.strategy.rollingUpdate', 'Forbidden: may not be specified when strategy `type` is \'Recreate\'');
    return;
  }
  const ru = strategy.rollingUpdate;
  if (!ru) return;
  checkIntOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge', out);
  checkIntOrPercent(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable', out, true);
  if (isZero(ru.maxSurge) && isZero(ru.maxUnavailable)) {
    out.error('spec.strategy.rollingUpdate.maxUnavailable', 'Invalid value: 0: may not be 0 when `maxSurge` is 0');
  }
}

export function checkProgressDeadline(d: Deployment, out: CheckOutput): void {
  const deadline = d.spec.progressDeadlineSeconds;
  if (deadline !== undefined && deadline <= (d.spec.minReadySeconds ?? 0)) {
    out.error('spec.progressDeadlineSeconds', `Invalid value: ${deadline}: must be greater than minReadySeconds`);
  }
}
