import { expect } from 'chai';
import { largestFieldPath, LAST_APPLIED_ANNOTATION, validateObject } from '../../../proto/validation/index.js';

function deployment(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', ...metadata },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      ...spec,
    },
  };
}

const errorPaths = (object: unknown) => validateObject(object).errors.map((e) => e.path);

describe('size and integer limits', () => {
  it("bounds counts, seconds and weights by Kubernetes' int32, naming the field", () => {
    expect(errorPaths(deployment({ replicas: 2147483647, minReadySeconds: 2147483647 }))).to.deep.equal([]);
    const r = validateObject(deployment({ replicas: 2147483648, revisionHistoryLimit: 1e12, progressDeadlineSeconds: 2 ** 40 }));
    expect(r.errors.map((e) => e.path)).to.have.members(['spec.replicas', 'spec.revisionHistoryLimit', 'spec.progressDeadlineSeconds']);
    expect(r.errors.find((e) => e.path === 'spec.replicas')?.message).to.equal('Invalid value: 2147483648: must be less than or equal to 2147483647');
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { backoffLimit: 2 ** 31, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } };
    expect(errorPaths(job)).to.deep.equal(['spec.backoffLimit']);
  });

  it('keeps int64 fields (grace periods, generation) within what a JSON number holds exactly', () => {
    const pod = (terminationGracePeriodSeconds: number) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { terminationGracePeriodSeconds, containers: [{ name: 'c', image: 'busybox' }] } });
    expect(errorPaths(pod(2 ** 40))).to.deep.equal([]);
    expect(errorPaths(pod(2 ** 60))).to.deep.equal(['spec.terminationGracePeriodSeconds']);
  });

  it('refuses annotations over 256 KiB in total, on the object and on a pod template, naming them', () => {
    const big = { note: 'x'.repeat(256 * 1024) };
    expect(errorPaths(deployment({}, { annotations: { note: 'x'.repeat(256 * 1024 - 4) } }))).to.deep.equal([]);
    const r = validateObject(deployment({}, { annotations: big }));
    expect(r.errors).to.deep.equal([{ path: 'metadata.annotations', message: 'Too long: may not be more than 262144 bytes in total (keys and values), is 262148' }]);
    const template = deployment({});
    (template.spec.template.metadata as Record<string, unknown>).annotations = big;
    expect(errorPaths(template)).to.deep.equal(['spec.template.metadata.annotations']);
  });

  it("does not count apply's own copy of the manifest as the user's annotations", () => {
    expect(errorPaths(deployment({}, { annotations: { [LAST_APPLIED_ANNOTATION]: 'x'.repeat(300 * 1024) } }))).to.deep.equal([]);
  });

  it('names the field that holds most of an object', () => {
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { small: 'a', big: 'b'.repeat(1000) } };
    expect(largestFieldPath(object)).to.equal('data.big');
    expect(largestFieldPath({ spec: { items: ['a', 'b'.repeat(100)] } })).to.equal('spec.items[1]');
    // With no field holding most of its parent, the path stops at the largest top-level field.
    expect(largestFieldPath({ data: { a: 'x'.repeat(50), b: 'y'.repeat(50) }, kind: 'K' })).to.equal('data');
  });
  it('answers a document that would make thousands of problems with the first 100 and a count of the rest', () => {
    const hugeRequests = validateObject(deployment({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: 'x'.repeat(300_000) } }] } } }));
    // A string where a mapping belongs is one error, not one per character.
    expect(hugeRequests.errors.map((e) => e.path)).to.deep.equal(['spec.template.spec.containers[0].resources.requests']);
    const env = Array.from({ length: 500 }, (_, i) => ({ name: `BAD NAME ${i}`, value: 'v' }));
    const many = validateObject(deployment({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox', env }] } } }));
    expect(many.errors).to.have.length(101);
    expect(many.errors[100]?.path).to.equal('spec.template.spec.containers[0].env[100].name');
    expect(many.errors[100]?.message).to.equal('and 400 more errors in this object (only the first 100 are listed)');
  });
});
