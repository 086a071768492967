import { expect } from 'chai';
import type { Deployment, ReplicaSet } from '../../../proto/objects/apps.js';
import { recreateStep } from '../../../control-plane/controllers/recreate.js';
import type { ScaleStep } from '../../../control-plane/controllers/rolling.js';
import { deployment, revisionRS as rs } from './fixtures.js';
import { RolloutSim } from './rollout-sim.js';

function recreate(replicas: number, policy?: Deployment['spec']['podReplacementPolicy']): Deployment {
  const d = deployment(replicas);
  d.spec.strategy = { type: 'Recreate' };
  if (policy) d.spec.podReplacementPolicy = policy;
  return d;
}

/** decide plays the controller's Recreate step; web-new stands for the ReplicaSet it would create. */
const decide = (d: Deployment) => (sets: ReplicaSet[]): ScaleStep[] => {
  const newRS = sets.find((s) => s.metadata.name === 'web-new');
  if (!newRS) throw new Error('no new ReplicaSet');
  const step = recreateStep(d, sets.filter((s) => s !== newRS));
  if (step.kind === 'scaleDownOld') return step.steps;
  if (step.kind === 'waitForOldPods' || newRS.spec.replicas === step.replicas) return [];
  return [{ rs: newRS, replicas: step.replicas }];
};

describe('Recreate logic', () => {
  it('scales every old ReplicaSet to 0 first', () => {
    const step = recreateStep(recreate(3), [rs('a', 1, 2, { replicas: 2 }), rs('b', 2, 1, { replicas: 1 }), rs('c', 3, 0)]);
    expect(step.kind === 'scaleDownOld' && step.steps.map((s) => [s.rs.metadata.name, s.replicas])).to.deep.equal([['web-a', 0], ['web-b', 0]]);
  });

  it('waits while an old pod runs or terminates, or an old ReplicaSet has not reported on its scale-down', () => {
    const d = recreate(3);
    expect(recreateStep(d, [rs('a', 1, 0, { replicas: 1 })])).to.deep.equal({ kind: 'waitForOldPods', running: 1 });
    expect(recreateStep(d, [rs('a', 1, 0, { replicas: 0, terminatingReplicas: 2 })])).to.deep.equal({ kind: 'waitForOldPods', running: 2 });
    const unobserved = rs('a', 1, 0, { replicas: 0 });
    unobserved.metadata.generation = 2;
    expect(recreateStep(d, [unobserved]).kind).to.equal('waitForOldPods');
    expect(recreateStep(d, [rs('a', 1, 0, { replicas: 0, terminatingReplicas: 0 })])).to.deep.equal({ kind: 'scaleUpNew', replicas: 3 });
    // TerminationStarted does not wait for terminating pods.
    expect(recreateStep(recreate(3, 'TerminationStarted'), [rs('a', 1, 0, { replicas: 0, terminatingReplicas: 2 })])).to.deep.equal({ kind: 'scaleUpNew', replicas: 3 });
  });

  it('never runs old and new pods together, terminating ones included', () => {
    const d = recreate(4);
    const sim = new RolloutSim(d, 3);
    sim.addSet('old', 1, 4, true);
    sim.addSet('new', 2, 0, true);
    sim.run(decide(d));
    expect(sim.decisions).to.deep.equal(['old 4->0', 'new 0->4']);
    for (const { bySet } of sim.observed) expect(bySet.filter((n) => n > 0).length, `running by set: ${bySet.join(',')}`).to.be.at.most(1);
    expect(sim.sets.map((s) => s.available)).to.deep.equal([0, 4]);
  });
});
