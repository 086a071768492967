import { expect } from 'chai';
import { KeyedLock } from '../../../node-agent/runtime/keyed-lock.js';

describe('runtime/KeyedLock', () => {
  /** A promise the test settles by hand, to control the order of events without timers. */
  function gate() {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    return { promise, open };
  }

  it('runs operations on one key one after another', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const first = gate();
    const a = lock.run('c1', async () => {
      events.push('a start');
      await first.promise;
      events.push('a end');
    });
    const b = lock.run('c1', async () => void events.push('b'));
    await Promise.resolve();
    expect(events).to.deep.equal(['a start']);
    first.open();
    await Promise.all([a, b]);
    expect(events).to.deep.equal(['a start', 'a end', 'b']);
  });

  it('lets operations on different keys overlap', async () => {
    const lock = new KeyedLock();
    const first = gate();
    const events: string[] = [];
    const a = lock.run('c1', async () => {
      await first.promise;
      events.push('c1');
    });
    await lock.run('c2', async () => void events.push('c2'));
    first.open();
    await a;
    expect(events).to.deep.equal(['c2', 'c1']);
  });

  it('passes results and errors through, and a failure does not block the next operation', async () => {
    const lock = new KeyedLock();
    let error: unknown;
    try {
      await lock.run('c1', async () => {
        throw new Error('boom');
      });
    } catch (err) {
      error = err;
    }
    expect(error).to.have.property('message', 'boom');
    expect(await lock.run('c1', async () => 42)).to.equal(42);
  });
});
