import { expect } from 'chai';
import { BACKOFF_CAP_MS, crashesBeforeRestart, pullRetryDelayMs, restartDelayMs } from '../../../node-agent/agent/restart-backoff.js';

describe('agent restart backoff', () => {
  it('restarts at once after the first crash, then 250 ms, 500 ms, 1 s, 2 s, 4 s, capped at 5 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 20].map(restartDelayMs)).to.deep.equal([0, 250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    expect(BACKOFF_CAP_MS).to.be.below(10_000); // far below Kubernetes' 10 s floor
  });

  it('starts the schedule over after a clean run of 10 s, not before', () => {
    expect(crashesBeforeRestart(5, 10_000)).to.equal(0);
    expect(crashesBeforeRestart(5, 9_999)).to.equal(5);
    expect(crashesBeforeRestart(5, undefined)).to.equal(5);
  });

  it('retries image pulls after 1 s, doubling up to 20 s', () => {
    expect([1, 2, 3, 5, 6, 10].map(pullRetryDelayMs)).to.deep.equal([1000, 2000, 4000, 16000, 20000, 20000]);
  });
});
