import { expect } from 'chai';
import { matches, parseSelector, selectorFromLabelSelector } from '../../../proto/labels.js';
import { cpuMillis, isQuantity, memoryBytes, parseQuantity } from '../../../proto/quantity.js';

describe('quantities', () => {
  it('parses Kubernetes cpu and memory quantities', () => {
    expect(cpuMillis('500m')).to.equal(500);
    expect(cpuMillis('1')).to.equal(1000);
    expect(cpuMillis('0.25')).to.equal(250);
    expect(cpuMillis(2)).to.equal(2000);
    expect(memoryBytes('64Mi')).to.equal(64 * 1024 * 1024);
    expect(memoryBytes('1G')).to.equal(1e9);
    expect(memoryBytes('1e3')).to.equal(1000);
    expect(parseQuantity('1.5Ki')).to.equal(1536);
  });

  it('refuses what is not a quantity, saying how to write one', () => {
    expect(isQuantity('lots')).to.equal(false);
    expect(isQuantity('10MB')).to.equal(false);
    expect(() => parseQuantity('10MB')).to.throw(/e\.g\. 500m/);
  });
});

describe('label selectors', () => {
  it('parses the string form and matches labels', () => {
    const s = parseSelector('app=web, tier!=db, env in (prod,staging), !legacy, owner');
    expect(matches(s, { app: 'web', tier: 'front', env: 'prod', owner: 'x' })).to.equal(true);
    expect(matches(s, { app: 'web', tier: 'db', env: 'prod', owner: 'x' })).to.equal(false);
    expect(matches(s, { app: 'web', env: 'dev', owner: 'x' })).to.equal(false);
    expect(matches(s, { app: 'web', env: 'prod', owner: 'x', legacy: 'y' })).to.equal(false);
    expect(matches(parseSelector(''), { any: 'thing' })).to.equal(true);
  });

  it('names the clause it cannot read', () => {
    expect(() => parseSelector('app=web,=oops')).to.throw(/"=oops"/);
  });

  it('turns matchLabels and matchExpressions into requirements', () => {
    const s = selectorFromLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] });
    expect(matches(s, { app: 'web', tier: 'front' })).to.equal(true);
    expect(matches(s, { app: 'web', tier: 'db' })).to.equal(false);
  });
});
