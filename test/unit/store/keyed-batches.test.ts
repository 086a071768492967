import { expect } from 'chai';
import { KeyedBatches } from '../../../control-plane/store/keyed-batches.js';

/** A commit that records its batches and ends when the test says so. */
function recordingCommit<T>() {
  const batches: T[][] = [];
  const ends: Array<() => void> = [];
  const commit = (batch: T[]): Promise<void> => {
    batches.push([...batch]);
    return new Promise((resolve) => ends.push(resolve));
  };
  return { batches, ends, commit };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedBatches', () => {
  it('commits what was added in one turn together, at most maxBatch at a time', async () => {
    const { batches, commit } = recordingCommit<string>();
    const queue = new KeyedBatches<string>(2, commit);
    for (const k of ['a', 'b', 'c']) queue.add(k, `${k}1`);
    expect(batches).to.deep.equal([]);
    await turn();
    expect(batches).to.deep.equal([['a1', 'b1'], ['c1']]);
  });

  it("never has two items of one key in flight: the next waits for its commit to end, in order", async () => {
    const { batches, ends, commit } = recordingCommit<string>();
    const queue = new KeyedBatches<string>(10, commit);
    queue.add('a', 'a1');
    queue.add('a', 'a2');
    queue.add('b', 'b1');
    await turn();
    expect(batches).to.deep.equal([['a1', 'b1']]);
    queue.add('a', 'a3');
    await turn();
    expect(batches).to.have.length(1);
    ends[0]?.();
    await turn();
    await turn();
    expect(batches).to.deep.equal([['a1', 'b1'], ['a2']]);
    ends[1]?.();
    await turn();
    await turn();
    expect(batches).to.deep.equal([['a1', 'b1'], ['a2'], ['a3']]);
  });

  it('offers the newest waiting item of a key to merge into, never one in flight', async () => {
    const { batches, commit } = recordingCommit<{ n: number }>();
    const queue = new KeyedBatches<{ n: number }>(10, commit);
    queue.add('a', { n: 1 });
    (queue.lastWaiting('a') as { n: number }).n = 2;
    await turn();
    expect(batches).to.deep.equal([[{ n: 2 }]]);
    expect(queue.lastWaiting('a')).to.equal(undefined);
  });

  it('takes an item put back ahead of its key, in the next batch, while the first commit still runs', async () => {
    const { batches, ends, commit } = recordingCommit<string>();
    const queue = new KeyedBatches<string>(10, commit);
    queue.add('a', 'a1');
    queue.add('b', 'b1');
    await turn();
    queue.add('a', 'a2');
    queue.putBack('a', 'a1');
    await turn();
    expect(batches).to.deep.equal([['a1', 'b1'], ['a1']]);
    // The first commit ending must not free key a, which the second holds.
    ends[0]?.();
    await turn();
    await turn();
    expect(batches).to.have.length(2);
    ends[1]?.();
    await turn();
    await turn();
    expect(batches).to.deep.equal([['a1', 'b1'], ['a1'], ['a2']]);
  });
});
