import { expect } from 'chai';
import { Expectations } from '../../../control-plane/controllers/expectations.js';

describe('Expectations', () => {
  it('holds a key until the informer has shown every write, or the record expires', () => {
    let now = 0;
    const e = new Expectations(1000, () => now);
    expect(e.satisfied('ns/rs')).to.equal(true);
    e.expect('ns/rs', ['p1', 'p2'], ['old']);
    expect(e.satisfied('ns/rs')).to.equal(false);
    e.observeCreate('ns/rs', 'p1');
    e.observeDelete('ns/rs', 'old');
    e.lower('ns/rs', ['p2'], []);
    expect(e.satisfied('ns/rs')).to.equal(true);
    e.expect('ns/rs', ['p3'], []);
    now = 1001;
    expect(e.satisfied('ns/rs')).to.equal(true);
  });
});
