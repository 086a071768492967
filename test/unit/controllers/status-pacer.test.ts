import { expect } from 'chai';
import { StatusPacer } from '../../../control-plane/controllers/status-pacer.js';

describe('StatusPacer', () => {
  it('lets the first write through, then holds the next ones until the interval has passed', () => {
    let now = 1_000;
    const pacer = new StatusPacer(250, () => now);
    expect(pacer.waitMs('default/web')).to.equal(0);
    pacer.wrote('default/web');
    now += 100;
    expect(pacer.waitMs('default/web')).to.equal(150);
    expect(pacer.waitMs('default/api')).to.equal(0, 'each object has its own interval');
    now += 150;
    expect(pacer.waitMs('default/web')).to.equal(0);
    pacer.forget('default/web');
    expect(pacer.waitMs('default/web')).to.equal(0);
  });

  it('with an interval of 0 never holds a write', () => {
    const pacer = new StatusPacer(0, () => 5);
    pacer.wrote('default/web');
    expect(pacer.waitMs('default/web')).to.equal(0);
  });
});
