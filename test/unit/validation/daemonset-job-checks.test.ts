import { expect } from 'chai';
import { planApply, userIntent } from '../../../control-plane/api/apply-plan.js';
import { immutableFieldProblems } from '../../../control-plane/api/immutable-fields.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';
import type { DaemonSet } from '../../../proto/objects/daemonset.js';
import type { Job } from '../../../proto/objects/job.js';
import type { BerthObject } from '../../../proto/objects/meta.js';
import { RESOURCE, resolveResource } from '../../../proto/resources.js';
import { validateObject } from '../../../proto/validation/index.js';

function daemonSet(spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent' },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...podSpec } }, ...spec },
  };
}

function job(spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = { restartPolicy: 'Never' }) {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], ...podSpec } }, ...spec } };
}

const errors = (o: unknown) => validateObject(o).errors;

describe('DaemonSet and Job validation, defaults and generated selector', () => {
  it('serves both kinds under kubectl\'s names', () => {
    expect(resolveResource('ds')).to.equal(RESOURCE.daemonsets);
    expect(resolveResource('daemonsets.apps')).to.equal(RESOURCE.daemonsets);
    expect(resolveResource('job')).to.equal(RESOURCE.jobs);
    expect(resolveResource('jobs.batch')).to.equal(RESOURCE.jobs);
    expect(errors({ ...job(), apiVersion: 'batch/v1beta1' })[0]?.message).to.equal('no kind "Job" in version "batch/v1beta1": use apiVersion "batch/v1"');
  });

  it('accepts a DaemonSet as the Kubernetes documentation writes it, and checks its selector, restartPolicy and update strategy', () => {
    expect(validateObject(daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } } }, { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] }))).to.deep.equal({ errors: [], warnings: [] });
    expect(errors(daemonSet({ selector: {} }))[0]).to.deep.equal({ path: 'spec.selector', message: 'Invalid value: {}: empty selector is invalid for daemonset' });
    expect(errors(daemonSet({ selector: { matchLabels: { app: 'other' } } }))[0]?.path).to.equal('spec.template.metadata.labels');
    expect(errors(daemonSet({}, { restartPolicy: 'Never' }))).to.deep.equal([{ path: 'spec.template.spec.restartPolicy', message: 'Unsupported value: "Never": supported values: "Always"' }]);
    expect(errors(daemonSet({ updateStrategy: { type: 'OnDelete', rollingUpdate: { maxUnavailable: 1 } } }))[0]?.path).to.equal('spec.updateStrategy.rollingUpdate');
    expect(errors(daemonSet({ updateStrategy: { rollingUpdate: { maxUnavailable: '120%' } } }))).to.deep.equal([{ path: 'spec.updateStrategy.rollingUpdate.maxUnavailable', message: 'Invalid value: "120%": must not be greater than 100%' }]);
    expect(errors(daemonSet({ updateStrategy: { rollingUpdate: { maxUnavailable: 0 } } }))[0]?.path).to.equal('spec.updateStrategy.rollingUpdate.maxUnavailable');
    expect(validateObject(daemonSet({ updateStrategy: { rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } })).warnings[0]?.path).to.equal('spec.updateStrategy.rollingUpdate.maxSurge');
    expect(errors(daemonSet({ updateStrategy: { type: 'Surge' } }))[0]?.message).to.equal('Unsupported value: "Surge": supported values: "RollingUpdate", "OnDelete"');
  });

  it('a Job\'s pods restart Never or OnFailure, and its counts are not negative', () => {
    expect(errors(job({ completions: 5, parallelism: 2, backoffLimit: 4, activeDeadlineSeconds: 100, ttlSecondsAfterFinished: 0 }))).to.deep.equal([]);
    expect(errors(job({}, { restartPolicy: 'OnFailure' }))).to.deep.equal([]);
    expect(errors(job({}, {}))).to.deep.equal([{ path: 'spec.template.spec.restartPolicy', message: 'Required value: valid values: "OnFailure", "Never"' }]);
    expect(errors(job({}, { restartPolicy: 'Always' }))).to.deep.equal([{ path: 'spec.template.spec.restartPolicy', message: 'Unsupported value: "Always": supported values: "OnFailure", "Never"' }]);
    expect(errors(job({ parallelism: -1 }))[0]).to.include({ path: 'spec.parallelism' });
    expect(errors(job({ activeDeadlineSeconds: 0 }))[0]).to.include({ path: 'spec.activeDeadlineSeconds' });
    expect(errors(job({ completionMode: 'Indexed' }))[0]).to.include({ path: 'spec.completionMode' });
    expect(errors(job({ manualSelector: true }))).to.deep.equal([{ path: 'spec.selector', message: 'Required value' }]);
  });

  it('a new Job gets its defaults and a selector of its uid; a selector the template labels do not satisfy is refused', () => {
    const identity = newIdentity(new Date('2026-01-01T00:00:00Z'));
    const plan = planApply(RESOURCE.jobs, userIntent(job() as BerthObject), undefined, identity);
    if (plan.kind !== 'write') throw new Error(`expected a write, got ${plan.kind}`);
    const stored = plan.object as Job;
    expect(stored.spec).to.include({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false });
    expect(stored.spec.selector).to.deep.equal({ matchLabels: { 'batch.kubernetes.io/controller-uid': identity.uid } });
    expect(stored.metadata.labels).to.include({ 'job-name': 'pi', 'batch.kubernetes.io/job-name': 'pi' });
    // A selector the user wrote is kept and must still match the pods' labels.
    const mismatched = planApply(RESOURCE.jobs, userIntent(job({ selector: { matchLabels: { app: 'x' } } }) as BerthObject), undefined, newIdentity());
    expect(mismatched.kind).to.equal('invalid');
    // Re-applied with another uid in its selector (copied from another cluster): not auto-generated.
    const copied = { ...stored, metadata: { ...stored.metadata, uid: 'another-uid' } };
    expect(errors(copied)[0]).to.include({ path: 'spec.selector' });
    expect(errors(copied)[0]?.message).to.match(/`selector` not auto-generated$/);
  });

  it('a Job\'s selector and template, and a DaemonSet\'s selector, cannot change', () => {
    const live = planApply(RESOURCE.jobs, userIntent(job() as BerthObject), undefined, newIdentity());
    if (live.kind !== 'write') throw new Error('expected a write');
    const next = structuredClone(live.object) as Job;
    next.spec.template.spec.containers[0]!.image = 'busybox:2';
    expect(immutableFieldProblems(RESOURCE.jobs, live.object, next).map((p) => p.path)).to.deep.equal(['spec.template']);
    const ds = daemonSet() as unknown as DaemonSet;
    const moved = structuredClone(ds);
    moved.spec.selector = { matchLabels: { app: 'other' } };
    expect(immutableFieldProblems(RESOURCE.daemonsets, ds, moved).map((p) => p.path)).to.deep.equal(['spec.selector']);
  });
});
