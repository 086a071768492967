import { expect } from 'chai';
import { validateObject } from '../../../proto/validation/index.js';

function deployment(spec: Record<string, unknown>) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'busybox' }] } }, ...spec },
  };
}

describe('validateObject: Deployment rollout fields', () => {
  it('accepts both pod replacement policies, and names the field of any other value', () => {
    for (const policy of ['TerminationStarted', 'TerminationComplete']) {
      const result = validateObject(deployment({ podReplacementPolicy: policy }));
      expect(result.errors, policy).to.deep.equal([]);
      expect(result.warnings, policy).to.deep.equal([]);
    }
    const wrong = validateObject(deployment({ podReplacementPolicy: 'Whenever' }));
    expect(wrong.errors.map((e) => e.path)).to.deep.equal(['spec.podReplacementPolicy']);
  });

  it('accepts a surge above 100% and refuses unavailability above it, or both written as zero', () => {
    expect(validateObject(deployment({ strategy: { rollingUpdate: { maxSurge: '200%', maxUnavailable: '0%' } } })).errors).to.deep.equal([]);
    expect(validateObject(deployment({ strategy: { rollingUpdate: { maxUnavailable: '150%' } } })).errors.map((e) => e.path)).to.deep.equal(['spec.strategy.rollingUpdate.maxUnavailable']);
    expect(validateObject(deployment({ strategy: { rollingUpdate: { maxSurge: '0%', maxUnavailable: 0 } } })).errors.map((e) => e.path)).to.deep.equal(['spec.strategy.rollingUpdate.maxUnavailable']);
  });

  it('refuses a progress deadline not above minReadySeconds', () => {
    const result = validateObject(deployment({ minReadySeconds: 10, progressDeadlineSeconds: 10 }));
    expect(result.errors.map((e) => e.path)).to.deep.equal(['spec.progressDeadlineSeconds']);
  });
});
