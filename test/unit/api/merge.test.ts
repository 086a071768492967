import { expect } from 'chai';
import { threeWayMerge } from '../../../control-plane/api/merge.js';
import { canonicalJson, deepEqual } from '../../../control-plane/objects/json.js';

describe('threeWayMerge (kubectl apply semantics)', () => {
  it('sets what the manifest sets', () => {
    expect(threeWayMerge({ a: 1, b: 2 }, { a: 1 }, { a: 5 })).to.deep.equal({ a: 5, b: 2 });
  });

  it('removes what the user removed from the manifest since the last apply', () => {
    expect(threeWayMerge({ a: 1, b: 2 }, { a: 1, b: 2 }, { a: 1 })).to.deep.equal({ a: 1 });
  });

  it('keeps what others set and the manifest never had (a scale, a default)', () => {
    const live = { spec: { replicas: 5, template: { image: 'v1' } } };
    expect(threeWayMerge(live, { spec: { template: { image: 'v1' } } }, { spec: { template: { image: 'v2' } } })).to.deep.equal({ spec: { replicas: 5, template: { image: 'v2' } } });
  });

  it('replaces lists whole', () => {
    expect(threeWayMerge({ l: [1, 2, 3] }, { l: [1, 2, 3] }, { l: [4] })).to.deep.equal({ l: [4] });
  });

  it('changes none of its inputs', () => {
    const live = { a: { b: 1 } };
    const desired = { a: { c: 2 } };
    threeWayMerge(live, undefined, desired);
    expect(live).to.deep.equal({ a: { b: 1 } });
    expect(desired).to.deep.equal({ a: { c: 2 } });
  });

  it('compares and serializes regardless of key order', () => {
    expect(deepEqual({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 })).to.equal(true);
    expect(canonicalJson({ b: 1, a: 2 })).to.equal('{"a":2,"b":1}');
  });
});
