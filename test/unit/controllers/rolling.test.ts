import { expect } from 'chai';
import type { Deployment, ReplicaSet } from '../../../proto/objects/apps.js';
import type { IntOrString } from '../../../proto/objects/meta.js';
import { fenceposts, rollingStep } from '../../../control-plane/controllers/rolling.js';
import { deployment } from './fixtures.js';
import { RolloutSim } from './rollout-sim.js';

function rolling(replicas: number, maxSurge: IntOrString, maxUnavailable: IntOrString, policy?: Deployment['spec']['podReplacementPolicy']): Deployment {
  const d = deployment(replicas);
  d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } };
  if (policy) d.spec.podReplacementPolicy = policy;
  return d;
}

/** decide is the controller's rolling step: the ReplicaSet named web-new is the new one. */
const decide = (d: Deployment) => (sets: ReplicaSet[]) => {
  const newRS = sets.find((rs) => rs.metadata.name === 'web-new');
  if (!newRS) throw new Error('no new ReplicaSet');
  return rollingStep(d, newRS, sets.filter((rs) => rs !== newRS));
};

/** rollout runs a whole rollout from `replicas` old available pods to a new template. */
function rollout(d: Deployment, healthy = true): RolloutSim {
  const sim = new RolloutSim(d);
  sim.addSet('old', 1, d.spec.replicas ?? 1, true);
  sim.addSet('new', 2, 0, healthy);
  sim.run(decide(d));
  return sim;
}

function expectWithinBounds(sim: RolloutSim, most: number, least: number): void {
  expect(sim.observed.length).to.be.greaterThan(0);
  for (const [tick, { running, available }] of sim.observed.entries()) {
    expect(running, `pods running at tick ${tick}`).to.be.at.most(most);
    expect(available, `pods available at tick ${tick}`).to.be.at.least(least);
  }
}

describe('Rolling update logic', () => {
  it('resolves maxSurge rounding up and maxUnavailable rounding down, never both 0', () => {
    const cases: [number, IntOrString, IntOrString, number, number][] = [
      [10, '25%', '25%', 3, 2],
      [1, '25%', '25%', 1, 0],
      [2, '1%', '1%', 1, 0],
      [3, 0, '10%', 0, 1],
      [3, 0, 0, 0, 1],
      [3, 1, 5, 1, 3],
      [0, '25%', '25%', 0, 0],
    ];
    for (const [replicas, surge, unavailable, wantSurge, wantUnavailable] of cases) {
      expect(fenceposts(rolling(replicas, surge, unavailable)), `${replicas} replicas, ${surge} / ${unavailable}`).to.deep.equal({ maxSurge: wantSurge, maxUnavailable: wantUnavailable });
    }
    // The API's defaults are 25% / 25%, and Recreate has neither.
    expect(fenceposts(deployment(4))).to.deep.equal({ maxSurge: 1, maxUnavailable: 1 });
    const recreate = deployment(4);
    recreate.spec.strategy = { type: 'Recreate' };
    expect(fenceposts(recreate)).to.deep.equal({ maxSurge: 0, maxUnavailable: 0 });
  });

  it('rolls 3 replicas with maxSurge 1 and maxUnavailable 0 one pod at a time, new up before old down', () => {
    const sim = rollout(rolling(3, 1, 0));
    expect(sim.decisions).to.deep.equal(['new 0->1', 'old 3->2', 'new 1->2', 'old 2->1', 'new 2->3', 'old 1->0']);
    expectWithinBounds(sim, 4, 3);
    expect(sim.sets.map((s) => [s.rs.metadata.name, s.available, s.terminating.length])).to.deep.equal([['web-old', 0, 0], ['web-new', 3, 0]]);
  });

  it('rolls 10 replicas with 25% / 25% within 13 running and 8 available at every tick', () => {
    const sim = rollout(rolling(10, '25%', '25%'));
    // The 3 surge pods come up, so 5 old ones may go: 13 - 8 available stay above the minimum.
    expect(sim.decisions.slice(0, 2)).to.deep.equal(['new 0->3', 'old 10->5']);
    expectWithinBounds(sim, 13, 8);
    expect(sim.sets.map((s) => s.available)).to.deep.equal([0, 10]);
  });

  it('counts terminating pods toward the surge by default; TerminationStarted lets them exceed it', () => {
    expectWithinBounds(rollout(rolling(10, 3, 2, 'TerminationComplete')), 13, 8);
    const started = rollout(rolling(10, 3, 2, 'TerminationStarted'));
    expect(Math.max(...started.observed.map((o) => o.running))).to.be.greaterThan(13);
    expect(started.sets.map((s) => s.available)).to.deep.equal([0, 10]);
  });

  it('stalls a template that never becomes available with the old replicas still serving', () => {
    const sim = rollout(rolling(10, '25%', '25%'), false);
    expectWithinBounds(sim, 13, 8);
    const [old, next] = sim.sets;
    expect([old?.rs.spec.replicas, old?.available]).to.deep.equal([8, 8]);
    expect([next?.rs.spec.replicas, next?.available]).to.deep.equal([5, 0]);
    // Nothing more to do until a new pod becomes available.
    expect(decide(sim.d)(sim.sets.map((s) => s.rs))).to.deep.equal([]);
  });

  it('removes unhealthy old replicas first, so they cannot block the rollout, without losing availability', () => {
    const d = rolling(5, 0, 1);
    const sim = new RolloutSim(d);
    // Two of the old pods crash-loop: they never become available.
    sim.addSet('old', 1, 5, false, 3);
    sim.addSet('new', 2, 0, true);
    sim.run(decide(d));
    expect(sim.decisions[0]).to.equal('old 5->4');
    expectWithinBounds(sim, 5, 3);
    expect(sim.sets.map((s) => s.available)).to.deep.equal([0, 5]);
  });
});
