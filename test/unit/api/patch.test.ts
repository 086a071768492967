import { expect } from 'chai';
import { LAST_APPLIED_ANNOTATION, planApply, userIntent } from '../../../control-plane/api/apply-plan.js';
import { mergePatch, parseMergePatch, planPatch } from '../../../control-plane/api/patch.js';
import { ConflictError, InvalidError } from '../../../control-plane/errors.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';
import type { Deployment } from '../../../proto/objects/apps.js';
import type { Node } from '../../../proto/objects/cluster.js';
import type { BerthObject } from '../../../proto/objects/meta.js';
import { RESOURCE } from '../../../proto/resources.js';

const deployments = RESOURCE.deployments;
const nodes = RESOURCE.nodes;

function liveDeployment(): Deployment {
  const intent = userIntent({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'busybox:1.35' }] } } },
  } as Deployment);
  const plan = planApply(deployments, intent, undefined, newIdentity(new Date('2026-01-01T00:00:00Z')));
  if (plan.kind !== 'write') throw new Error('expected a write');
  return { ...(plan.object as Deployment), metadata: { ...plan.object.metadata, resourceVersion: '7' }, status: { replicas: 2 } };
}

function liveNode(): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-2', uid: 'u-1', creationTimestamp: '2026-01-01T00:00:00Z', resourceVersion: '9', labels: { 'kubernetes.io/hostname': 'node-2' } },
    spec: { podCIDR: '10.244.2.0/24' },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function refused(run: () => unknown): InvalidError {
  try {
    run();
  } catch (err) {
    if (err instanceof InvalidError) return err;
    throw err;
  }
  throw new Error('expected the patch to be refused');
}

describe('mergePatch (RFC 7386)', () => {
  // The examples of RFC 7386 appendix A.
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, result] of cases) {
    it(`${JSON.stringify(target)} + ${JSON.stringify(patch)} = ${JSON.stringify(result)}`, () => {
      const before = JSON.stringify(target);
      expect(mergePatch(target, patch)).to.deep.equal(result);
      expect(JSON.stringify(target)).to.equal(before, 'the target is not changed');
    });
  }
});

describe('parseMergePatch', () => {
  it('refuses text that is not JSON, and JSON that is not an object', () => {
    expect(() => parseMergePatch('{"metadata":')).to.throw(InvalidError, /the patch is not valid JSON/);
    expect(() => parseMergePatch('[1]')).to.throw(InvalidError, 'the patch must be a JSON object (an RFC 7386 merge patch)');
  });
});

describe('planPatch', () => {
  it('adds and removes labels, keeps the generation when spec is untouched, and keeps the last-applied annotation', () => {
    const live = liveDeployment();
    const lastApplied = live.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
    const plan = planPatch(deployments, live, { metadata: { labels: { tier: 'front', app: null } } });
    expect(plan.kind).to.equal('write');
    expect(plan.object.metadata.labels).to.deep.equal({ tier: 'front' });
    expect(plan.object.metadata.generation).to.equal(1);
    expect(plan.object.metadata.resourceVersion).to.equal('7');
    expect(plan.object.metadata.annotations?.[LAST_APPLIED_ANNOTATION]).to.equal(lastApplied);
    expect(live.metadata.labels).to.deep.equal({ app: 'web' }, 'the live object is not changed');
  });

  it('bumps the generation when spec changes', () => {
    const plan = planPatch(deployments, liveDeployment(), { spec: { replicas: 5 } });
    expect((plan.object as Deployment).spec.replicas).to.equal(5);
    expect(plan.object.metadata.generation).to.equal(2);
  });

  it('is unchanged when the patch sets what is already there (nothing to write)', () => {
    const live = liveDeployment();
    const plan = planPatch(deployments, live, { metadata: { labels: { app: 'web' }, name: 'web' } });
    expect(plan).to.deep.equal({ kind: 'unchanged', object: live });
  });

  it('re-applies defaults to a field the patch removed', () => {
    const plan = planPatch(deployments, liveDeployment(), { spec: { revisionHistoryLimit: null } });
    expect(plan.kind).to.equal('unchanged');
  });

  it('refuses an invalid label key and value, naming the field paths', () => {
    const err = refused(() => planPatch(nodes, liveNode(), { metadata: { labels: { 'bad key!': 'x', disktype: 'not valid!' } } }));
    expect(err.problems.map((p) => p.path)).to.deep.equal(['metadata.labels', 'metadata.labels.disktype']);
    expect(err.message).to.match(/^Node "node-2" is invalid: \[metadata\.labels: Invalid value: "bad key!": name part must consist of alphanumeric characters/);
    expect(err.message).to.contain('metadata.labels.disktype: Invalid value: "not valid!": a valid label must be an empty string');
  });

  it('refuses an invalid taint effect through the schema', () => {
    const err = refused(() => planPatch(nodes, liveNode(), { spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } }));
    expect(err.message).to.equal('Node "node-2" is invalid: spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"');
  });

  it('refuses changes to the identity of the object', () => {
    for (const [patch, path] of [
      [{ metadata: { name: 'other' } }, 'metadata.name'],
      [{ metadata: { uid: null } }, 'metadata.uid'],
      [{ metadata: { creationTimestamp: '2020-01-01T00:00:00Z' } }, 'metadata.creationTimestamp'],
      [{ kind: 'Pod' }, 'kind'],
      [{ apiVersion: 'v2' }, 'apiVersion'],
      [{ metadata: { namespace: 'other' } }, 'metadata.namespace'],
    ] as const) {
      const err = refused(() => planPatch(nodes, liveNode(), patch));
      expect(err.problems.map((p) => p.path), JSON.stringify(patch)).to.deep.equal([path]);
      expect(err.message).to.contain('field is immutable');
    }
  });

  it('refuses changes to what the cluster writes: status and generation', () => {
    const err = refused(() => planPatch(deployments, liveDeployment(), { status: { replicas: 9 }, metadata: { generation: 5 } }));
    expect(err.message).to.equal('Deployment "web" is invalid: [metadata.generation: Forbidden: written by the cluster, not by a patch, status: Forbidden: written by the cluster, not by a patch]');
  });

  it('keeps the immutable-field rules of apply', () => {
    const err = refused(() => planPatch(deployments, liveDeployment(), { spec: { selector: { matchLabels: { app: 'other' } }, template: { metadata: { labels: { app: 'other' } } } } }));
    expect(err.message).to.equal('Deployment "web" is invalid: spec.selector: Invalid value: {"matchLabels":{"app":"other"}}: field is immutable');
  });

  it('treats a resourceVersion in the patch as a precondition', () => {
    expect(planPatch(nodes, liveNode(), { metadata: { resourceVersion: '9', labels: { a: 'b' } } }).kind).to.equal('write');
    expect(() => planPatch(nodes, liveNode(), { metadata: { resourceVersion: '8', labels: { a: 'b' } } })).to.throw(ConflictError, 'Operation cannot be fulfilled on nodes "node-2"');
  });

  it('refuses a patch that removes metadata', () => {
    const node: BerthObject = liveNode();
    expect(() => planPatch(nodes, node, { metadata: null })).to.throw(InvalidError, 'Node "node-2" is invalid: metadata: Required value');
  });
});
