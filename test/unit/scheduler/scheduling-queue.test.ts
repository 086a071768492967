import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { SchedulingQueue } from '../../../control-plane/scheduler/scheduling-queue.js';

describe('SchedulingQueue', () => {
  let now = 0;
  const queue = () => new SchedulingQueue({ initialBackoffMs: 1000, maxBackoffMs: 4000 }, () => now);
  beforeEach(() => {
    now = 0;
  });

  it('hands out keys oldest first, each once', () => {
    const q = queue();
    for (const k of ['a', 'b', 'c', 'a']) q.add(k);
    expect(q.take(2)).to.deep.equal(['a', 'b']);
    expect(q.take(5)).to.deep.equal(['c']);
  });

  it('keeps a parked pod out until a change, and then only after its backoff', async () => {
    const q = queue();
    q.park('a');
    q.retryParked();
    await sleep(5);
    expect(q.take(5)).to.deep.equal([]);
    now = 1000;
    q.retryParked();
    await sleep(5);
    expect(q.take(5)).to.deep.equal(['a']);
  });

  it('doubles the backoff with each failed attempt, up to the cap', async () => {
    const q = queue();
    const retryAfter = async (ms: number) => {
      now += ms;
      q.retryParked();
      await sleep(5);
      return q.take(5);
    };
    q.park('a');
    expect(await retryAfter(1000)).to.deep.equal(['a']);
    q.park('a');
    expect(await retryAfter(1000)).to.deep.equal([]);
    expect(await retryAfter(1000)).to.deep.equal(['a']);
    q.park('a');
    q.park('a');
    expect(await retryAfter(3999)).to.deep.equal([]);
    expect(await retryAfter(1)).to.deep.equal(['a']);
  });

  it('forgets the backoff of a pod that changed', async () => {
    const q = queue();
    q.park('a');
    q.park('a');
    q.add('a');
    expect(q.take(1)).to.deep.equal(['a']);
    q.park('a');
    now = 1000;
    q.retryParked();
    await sleep(5);
    expect(q.take(1)).to.deep.equal(['a']);
  });
});
