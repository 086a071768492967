import { expect } from 'chai';
import { validateObject } from '../../../proto/validation/index.js';

function pod(affinity: unknown) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }], affinity } };
}

const required = (...matchExpressions: unknown[]) => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } },
});
const TERM = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]';

describe('affinity validation', () => {
  it('accepts node affinity with every operator, and pod (anti-)affinity, without warnings', () => {
    const r = validateObject(
      pod({
        ...required(
          { key: 'disk', operator: 'In', values: ['ssd'] },
          { key: 'zone', operator: 'NotIn', values: ['a'] },
          { key: 'gpu', operator: 'Exists' },
          { key: 'old', operator: 'DoesNotExist' },
          { key: 'cores', operator: 'Gt', values: ['3'] },
          { key: 'cores', operator: 'Lt', values: ['65'] },
        ),
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }],
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' } }],
        },
        podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, namespaces: ['infra'], topologyKey: 'kubernetes.io/hostname' }] },
      }),
    );
    expect(r).to.deep.equal({ errors: [], warnings: [] });
  });

  it('refuses an unknown operator, naming the path', () => {
    const r = validateObject(pod(required({ key: 'disk', operator: 'Equals', values: ['ssd'] })));
    expect(r.errors.map((e) => e.path)).to.deep.equal([`${TERM}.matchExpressions[0].operator`]);
  });

  it('requires values for In and NotIn', () => {
    const r = validateObject(pod(required({ key: 'disk', operator: 'In' }, { key: 'zone', operator: 'NotIn', values: [] })));
    expect(r.errors).to.deep.equal([
      { path: `${TERM}.matchExpressions[0].values`, message: "Required value: must be specified when `operator` is 'In'" },
      { path: `${TERM}.matchExpressions[1].values`, message: "Required value: must be specified when `operator` is 'NotIn'" },
    ]);
  });

  it('forbids values for Exists and DoesNotExist', () => {
    const r = validateObject(pod(required({ key: 'gpu', operator: 'Exists', values: ['x'] }, { key: 'old', operator: 'DoesNotExist', values: ['y'] })));
    expect(r.errors.map((e) => e.path)).to.deep.equal([`${TERM}.matchExpressions[0].values`, `${TERM}.matchExpressions[1].values`]);
    expect(r.errors[0]?.message).to.equal("Forbidden: may not be specified when `operator` is 'Exists'");
  });

  it('wants exactly one integer for Gt and Lt', () => {
    const r = validateObject(pod(required({ key: 'cores', operator: 'Gt', values: ['1', '2'] }, { key: 'cores', operator: 'Lt', values: ['many'] })));
    expect(r.errors).to.deep.equal([
      { path: `${TERM}.matchExpressions[0].values`, message: "Required value: must be specified single value when `operator` is 'Gt'" },
      { path: `${TERM}.matchExpressions[1].values[0]`, message: 'Invalid value: "many": must be an integer' },
    ]);
  });

  it('accepts matchFields on metadata.name only', () => {
    const term = (key: string) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key, operator: 'In', values: ['n1'] }] }] } } });
    expect(validateObject(pod(term('metadata.name'))).errors).to.deep.equal([]);
    expect(validateObject(pod(term('spec.podCIDR'))).errors.map((e) => e.path)).to.deep.equal([`${TERM}.matchFields[0].key`]);
  });

  it('requires a topologyKey and checks the weight of a preferred term', () => {
    const r = validateObject(
      pod({
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } } }],
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } }],
        },
      }),
    );
    expect(r.errors.map((e) => e.path)).to.have.members([
      'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey',
      'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight',
    ]);
  });
});
