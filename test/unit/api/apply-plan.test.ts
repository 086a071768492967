import { expect } from 'chai';
import { LAST_APPLIED_ANNOTATION, planApply, userIntent } from '../../../control-plane/api/apply-plan.js';
import type { Deployment } from '../../../proto/objects/apps.js';
import type { BerthObject } from '../../../proto/objects/meta.js';
import { RESOURCE } from '../../../proto/resources.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';

const info = RESOURCE.deployments;

function manifest(replicas?: number, image = 'busybox:1.35'): BerthObject {
  return userIntent({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
    },
  } as Deployment);
}

/** created applies a manifest to nothing and returns the object as stored (with a revision). */
function created(intent: BerthObject): BerthObject {
  const plan = planApply(info, intent, undefined, newIdentity(new Date('2026-01-01T00:00:00Z')));
  if (plan.kind !== 'write') throw new Error(`expected a write, got ${plan.kind}`);
  return { ...plan.object, metadata: { ...plan.object.metadata, resourceVersion: '7' } };
}

describe('planApply', () => {
  it('creates with identity, generation 1, defaults and the last-applied annotation', () => {
    const plan = planApply(info, manifest(3), undefined, newIdentity(new Date('2026-01-01T00:00:00.123Z')));
    expect(plan.kind).to.equal('write');
    if (plan.kind !== 'write') return;
    expect(plan.action).to.equal('created');
    expect(plan.object.metadata.uid).to.match(/^[0-9a-f-]{36}$/);
    expect(plan.object.metadata.creationTimestamp).to.equal('2026-01-01T00:00:00Z');
    expect(plan.object.metadata.generation).to.equal(1);
    expect((plan.object as Deployment).spec.revisionHistoryLimit).to.equal(10);
    expect(plan.object.metadata.annotations?.[LAST_APPLIED_ANNOTATION]).to.be.a('string');
  });

  it('finds the same manifest unchanged', () => {
    const live = created(manifest(3));
    expect(planApply(info, manifest(3), live, newIdentity()).kind).to.equal('unchanged');
  });

  it('configures a changed manifest and bumps generation because the spec changed', () => {
    const live = created(manifest(3));
    const plan = planApply(info, manifest(3, 'busybox:1.36'), live, newIdentity());
    expect(plan.kind).to.equal('write');
    if (plan.kind !== 'write') return;
    expect(plan.action).to.equal('configured');
    expect(plan.object.metadata.generation).to.equal(2);
    expect(plan.object.metadata.uid).to.equal(live.metadata.uid);
    expect(plan.object.metadata.resourceVersion).to.equal('7');
  });

  it('does not bump generation when only labels change', () => {
    const live = created(manifest(3));
    const relabelled = manifest(3);
    relabelled.metadata.labels = { team: 'a' };
    const plan = planApply(info, relabelled, live, newIdentity());
    expect(plan.kind).to.equal('write');
    if (plan.kind === 'write') expect(plan.object.metadata.generation).to.equal(1);
  });

  it('keeps a scaled replica count when the manifest never set replicas', () => {
    const live = created(manifest());
    (live as Deployment).spec.replicas = 5;
    expect(planApply(info, manifest(), live, newIdentity()).kind).to.equal('unchanged');
  });

  it('refuses to change an immutable selector', () => {
    const live = created(manifest(1));
    const moved = manifest(1) as Deployment;
    moved.spec.selector = { matchLabels: { app: 'web', tier: 'x' } };
    moved.spec.template.metadata = { labels: { app: 'web', tier: 'x' } };
    const plan = planApply(info, moved, live, newIdentity());
    expect(plan.kind).to.equal('invalid');
    if (plan.kind === 'invalid') expect(plan.errors.map((e) => e.path)).to.deep.equal(['spec.selector']);
  });

  it('ignores status and system metadata in a manifest', () => {
    const intent = userIntent({ ...manifest(1), metadata: { name: 'web', uid: 'forged', resourceVersion: '1' }, status: { replicas: 9 } });
    expect(intent.metadata).to.deep.equal({ name: 'web' });
    expect(intent.status).to.equal(undefined);
  });
});
