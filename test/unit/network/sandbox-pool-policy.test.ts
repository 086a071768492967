import { expect } from 'chai';
import { chooseSandbox, nextPoolStep, type PoolSnapshot } from '../../../node-agent/network/sandbox-pool-policy.js';

/** A node at rest long after its last pod, pool of 32 empty, a /24 with nothing attached. */
const quiet = (over: Partial<PoolSnapshot> = {}): PoolSnapshot => ({
  now: 100_000,
  target: 32,
  configured: true,
  ready: 0,
  unverified: 0,
  stale: 0,
  podsSettingUp: 0,
  lastPodActivity: 0,
  quietMs: 2_000,
  freeAddresses: 253,
  failures: 0,
  lastFailure: 0,
  ...over,
});

describe('chooseSandbox: how a pod gets its sandbox', () => {
  it('a pod that has a sandbox (a restarted agent adopting it) keeps it, even when the pool has ready ones', () => {
    expect(chooseSandbox({ sandboxId: 'mine', hostPorts: 0 }, ['s1'])).to.deep.equal({ kind: 'adopt', sandboxId: 'mine' });
  });

  it('a new pod takes the oldest ready sandbox of the pool', () => {
    expect(chooseSandbox({ sandboxId: undefined, hostPorts: 0 }, ['s1', 's2'])).to.deep.equal({ kind: 'take', sandboxId: 's1' });
  });

  it('a new pod finding the pool empty gets its own sandbox, attached now', () => {
    expect(chooseSandbox({ sandboxId: undefined, hostPorts: 0 }, [])).to.deep.equal({ kind: 'attach', reason: 'pool-empty' });
  });

  it('a pod with host ports never takes a pool sandbox (those are attached without portmap)', () => {
    expect(chooseSandbox({ sandboxId: undefined, hostPorts: 1 }, ['s1'])).to.deep.equal({ kind: 'attach', reason: 'host-ports' });
  });
});

describe('nextPoolStep: what the warm pool does next', () => {
  it('adds sandboxes one step at a time until the target is reached, then rests', () => {
    expect(nextPoolStep(quiet())).to.deep.equal({ kind: 'add' });
    expect(nextPoolStep(quiet({ ready: 31 }))).to.deep.equal({ kind: 'add' });
    expect(nextPoolStep(quiet({ ready: 32 }))).to.deep.equal({ kind: 'rest', reason: 'full' });
  });

  it('does nothing at all while a pod is being set up, whatever else is due', () => {
    expect(nextPoolStep(quiet({ podsSettingUp: 1, stale: 3, unverified: 2 }))).to.deep.equal({ kind: 'rest', reason: 'pods-starting' });
  });

  it('keeps still for the quiet period after the last pod activity, then resumes', () => {
    expect(nextPoolStep(quiet({ lastPodActivity: 99_000 }))).to.deep.equal({ kind: 'wait', until: 101_000, reason: 'pods-starting' });
    expect(nextPoolStep(quiet({ lastPodActivity: 98_000 }))).to.deep.equal({ kind: 'add' });
  });

  it('removes stale sandboxes before anything else (they hold addresses)', () => {
    expect(nextPoolStep(quiet({ stale: 1, unverified: 1, ready: 40 }))).to.deep.equal({ kind: 'remove-stale' });
  });

  it('removes sandboxes beyond the target, counting unchecked ones, and removes them all when the pool is disabled', () => {
    expect(nextPoolStep(quiet({ ready: 30, unverified: 3 }))).to.deep.equal({ kind: 'trim' });
    expect(nextPoolStep(quiet({ target: 0, ready: 1 }))).to.deep.equal({ kind: 'trim' });
    expect(nextPoolStep(quiet({ target: 0 }))).to.deep.equal({ kind: 'rest', reason: 'full' });
  });

  it('checks the sandboxes an earlier agent left before adding new ones, once the node\'s configuration is known', () => {
    expect(nextPoolStep(quiet({ ready: 10, unverified: 2 }))).to.deep.equal({ kind: 'verify' });
    expect(nextPoolStep(quiet({ unverified: 2, configured: false }))).to.deep.equal({ kind: 'rest', reason: 'unconfigured' });
  });

  it('adds nothing before the node has its pod CIDR', () => {
    expect(nextPoolStep(quiet({ configured: false }))).to.deep.equal({ kind: 'rest', reason: 'unconfigured' });
  });

  it('leaves as many addresses free as the pool holds, for pods that attach on their own', () => {
    expect(nextPoolStep(quiet({ ready: 5, freeAddresses: 33 }))).to.deep.equal({ kind: 'add' });
    expect(nextPoolStep(quiet({ ready: 5, freeAddresses: 32 }))).to.deep.equal({ kind: 'rest', reason: 'no-free-addresses' });
  });

  it('backs off after failed steps: 1 s, doubling, at most a minute; a success resets it', () => {
    expect(nextPoolStep(quiet({ failures: 1, lastFailure: 99_500 }))).to.deep.equal({ kind: 'wait', until: 100_500, reason: 'back-off' });
    expect(nextPoolStep(quiet({ failures: 3, lastFailure: 99_000 }))).to.deep.equal({ kind: 'wait', until: 103_000, reason: 'back-off' });
    expect(nextPoolStep(quiet({ failures: 20, lastFailure: 99_000 }))).to.deep.equal({ kind: 'wait', until: 159_000, reason: 'back-off' });
    expect(nextPoolStep(quiet({ failures: 1, lastFailure: 98_000 }))).to.deep.equal({ kind: 'add' });
    expect(nextPoolStep(quiet({ failures: 2, lastFailure: 99_000, stale: 1 }))).to.deep.equal({ kind: 'wait', until: 101_000, reason: 'back-off' });
  });
});
