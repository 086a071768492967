import { expect } from 'chai';
import { decidePull, effectivePullPolicy } from '../../../node-agent/agent/pull-policy.js';

describe('agent image pull policy', () => {
  it('defaults like Kubernetes: Always for :latest or no tag, IfNotPresent for a tag or digest', () => {
    expect(effectivePullPolicy({ image: 'busybox' })).to.equal('Always');
    expect(effectivePullPolicy({ image: 'busybox:latest' })).to.equal('Always');
    expect(effectivePullPolicy({ image: '127.0.0.1:5000/app' })).to.equal('Always');
    expect(effectivePullPolicy({ image: '127.0.0.1:5000/app:v1' })).to.equal('IfNotPresent');
    expect(effectivePullPolicy({ image: 'app@sha256:abc' })).to.equal('IfNotPresent');
    expect(effectivePullPolicy({ image: 'app:v1', imagePullPolicy: 'Never' })).to.equal('Never');
  });

  it('Always asks the registry even with the image present', () => {
    expect(decidePull({ image: 'a:v1', imagePullPolicy: 'Always' }, true)).to.deep.equal({ kind: 'pull' });
  });

  it('IfNotPresent pulls only what is missing', () => {
    expect(decidePull({ image: 'a:v1', imagePullPolicy: 'IfNotPresent' }, true)).to.deep.equal({ kind: 'use-local' });
    expect(decidePull({ image: 'a:v1', imagePullPolicy: 'IfNotPresent' }, false)).to.deep.equal({ kind: 'pull' });
  });

  it('Never uses the local image or waits with Kubernetes\' message', () => {
    expect(decidePull({ image: 'a:v1', imagePullPolicy: 'Never' }, true)).to.deep.equal({ kind: 'use-local' });
    expect(decidePull({ image: 'a:v1', imagePullPolicy: 'Never' }, false)).to.deep.equal({
      kind: 'never-pull',
      message: 'Container image "a:v1" is not present with pull policy of Never',
    });
  });
});
