import { expect } from 'chai';
import { ConcurrencyLimit } from '../../../node-agent/network/concurrency-limit.js';

describe('ConcurrencyLimit', () => {
  it('never runs more than its limit at once, runs every task, in the order asked, and passes results and errors through', async () => {
    const limit = new ConcurrencyLimit(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const release: Array<() => void> = [];
    const tasks = Array.from({ length: 6 }, (_, i) =>
      limit.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise<void>((resolve) => release.push(resolve));
        running--;
        if (i === 3) throw new Error('task 3 failed');
        return i;
      }),
    );
    const settled = Promise.allSettled(tasks);
    while (started.length < 6) {
      await new Promise((resolve) => setImmediate(resolve));
      release.shift()?.();
    }
    while (release.length > 0) release.shift()?.();
    const results = await settled;
    expect(most).to.equal(2);
    expect(started).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).to.deep.equal([0, 1, 2, 'task 3 failed', 4, 5]);
  });

  it('refuses a limit below one', () => {
    expect(() => new ConcurrencyLimit(0)).to.throw('a concurrency limit must be a whole number of at least 1, not 0');
  });
});
