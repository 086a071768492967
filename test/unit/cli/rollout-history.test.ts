import { expect } from 'chai';
import { mergePatch } from '../../../control-plane/api/patch.js';
import { CliError } from '../../../cli/errors.js';
import { historyTable, planUndo, revisionsOf, revisionTemplate } from '../../../cli/rollout/history.js';
import { createMergePatch } from '../../../cli/rollout/merge-patch.js';
import { describePodTemplate } from '../../../cli/printers/describe.js';
import type { Deployment, ReplicaSet } from '../../../proto/objects/apps.js';
import type { PodTemplateSpec } from '../../../proto/objects/pod.js';

const template = (image: string, extra: Partial<PodTemplateSpec['spec']['containers'][number]> = {}, hash?: string): PodTemplateSpec => ({
  metadata: { labels: { app: 'web', ...(hash ? { 'pod-template-hash': hash } : {}) } },
  spec: { containers: [{ name: 'web', image, ...extra }] },
});

function deployment(current: PodTemplateSpec, annotations: Record<string, string> = {}, paused = false): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-1', resourceVersion: '10', annotations },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: current, ...(paused ? { paused } : {}) },
  };
}

function replicaSet(revision: number, t: PodTemplateSpec, cause?: string, owner = 'd-1'): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${revision}`,
      namespace: 'default',
      annotations: { 'deployment.kubernetes.io/revision': String(revision), ...(cause ? { 'kubernetes.io/change-cause': cause } : {}) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: owner, controller: true }],
    },
    spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: t },
  };
}

const v1 = template('nginx:1.24', { env: [{ name: 'MODE', value: 'old' }] }, 'aaa');
const v2 = template('nginx:1.25', {}, 'bbb');
const v3 = template('nginx:broken', { command: ['sleep', 'infinity'] }, 'ccc');
const replicaSets = [replicaSet(3, v3, 'image broken'), replicaSet(1, v1, 'first'), replicaSet(2, v2), replicaSet(9, v1, 'another deployment', 'd-2')];

describe('rollout history and undo', () => {
  it('lists the revisions of the Deployment only, oldest first, with kubectl\'s table', () => {
    const revisions = revisionsOf(deployment(v3), replicaSets);
    expect(revisions.map((r) => r.revision)).to.deep.equal([1, 2, 3]);
    expect(historyTable(revisions)).to.equal(['REVISION  CHANGE-CAUSE', '1         first', '2         <none>', '3         image broken'].join('\n'));
  });

  it('shows one revision\'s pod template with its change-cause, as kubectl does', () => {
    const text = describePodTemplate(revisionTemplate(revisionsOf(deployment(v3), replicaSets), 1));
    expect(text).to.match(/^Pod Template:\n {2}Labels: +app=web\n +pod-template-hash=aaa\n {2}Annotations: +kubernetes.io\/change-cause=first\n {2}Containers:\n {3}web:\n {4}Image: +nginx:1.24/);
    expect(text).to.match(/Environment: +MODE=old/);
    expect(() => revisionTemplate(revisionsOf(deployment(v3), replicaSets), 7)).to.throw(CliError, 'unable to find the specified revision');
  });

  it('undo goes back to the previous revision: the patched Deployment has that template, without the hash label', () => {
    const d = deployment(template('nginx:broken', { command: ['sleep', 'infinity'] }), { 'kubernetes.io/change-cause': 'image broken' });
    const plan = planUndo(d, revisionsOf(d, replicaSets), 0);
    if (plan.kind !== 'patch') throw new Error('expected a patch');
    expect(plan.revision).to.equal(2);
    const patched = mergePatch(d, plan.patch) as Deployment;
    expect(patched.spec.template).to.deep.equal(template('nginx:1.25'));
    // Revision 2 had no change-cause: the Deployment's is removed, not left describing revision 3.
    expect(patched.metadata.annotations).to.deep.equal({});
  });

  it('undo --to-revision copies that revision\'s template and change-cause, removing what it lacks', () => {
    const d = deployment(template('nginx:broken', { command: ['sleep', 'infinity'] }));
    const plan = planUndo(d, revisionsOf(d, replicaSets), 1);
    if (plan.kind !== 'patch') throw new Error('expected a patch');
    const patched = mergePatch(d, plan.patch) as Deployment;
    expect(patched.spec.template).to.deep.equal(template('nginx:1.24', { env: [{ name: 'MODE', value: 'old' }] }));
    expect(patched.spec.template.spec.containers[0]).to.not.have.property('command');
    expect(patched.metadata.annotations).to.deep.equal({ 'kubernetes.io/change-cause': 'first' });
  });

  it('undo refuses an unknown revision, a Deployment without history and a paused one, with kubectl\'s messages', () => {
    const d = deployment(template('nginx:broken'));
    expect(() => planUndo(d, revisionsOf(d, replicaSets), 7)).to.throw(CliError, 'unable to find specified revision 7 in history');
    expect(() => planUndo(d, revisionsOf(d, [replicaSet(1, v1)]), 0)).to.throw(CliError, 'no rollout history found for deployment "web"');
    const paused = deployment(template('nginx:broken'), {}, true);
    expect(() => planUndo(paused, revisionsOf(paused, replicaSets), 1)).to.throw(CliError, "you cannot rollback a paused deployment; resume it first with 'berth rollout resume deployment/web' and try again");
  });

  it('undo to the template the Deployment already has is skipped, naming the revision', () => {
    const d = deployment(template('nginx:1.25'));
    expect(planUndo(d, revisionsOf(d, replicaSets), 2)).to.deep.equal({ kind: 'skipped', message: 'skipped rollback (current template already matches revision 2)' });
  });
});

describe('createMergePatch', () => {
  it('turns one document into the other when the server applies it (RFC 7386)', () => {
    const from = { a: 1, b: { c: [1, 2], d: 'x', e: { f: true } }, g: 'gone' };
    const to = { a: 1, b: { c: [2], d: 'y', e: {} }, h: { i: null } };
    const patch = createMergePatch(from, to);
    expect(patch).to.deep.equal({ g: null, b: { c: [2], d: 'y', e: { f: null } }, h: { i: null } });
    expect(mergePatch(from, patch)).to.deep.equal({ a: 1, b: { c: [2], d: 'y', e: {} }, h: {} });
  });

  it('is empty for equal documents whatever their key order', () => {
    expect(createMergePatch({ a: { x: 1, y: [1, { z: 2 }] } }, { a: { y: [1, { z: 2 }], x: 1 } })).to.deep.equal({});
  });
});
