import { expect } from 'chai';
import { findCondition, isReady, setCondition, transitionTime } from '../../../proto/objects/conditions.js';
import type { Condition } from '../../../proto/objects/meta.js';

describe('proto/objects/conditions', () => {
  const ready: Condition = { type: 'Ready', status: 'True', reason: 'AgentReady', lastTransitionTime: 't0' };

  it('finds a condition by type, and tells Ready from not Ready', () => {
    expect(findCondition([ready], 'Ready')).to.equal(ready);
    expect(findCondition([ready], 'PodScheduled')).to.equal(undefined);
    expect(findCondition(undefined, 'Ready')).to.equal(undefined);
    expect(isReady({ status: { conditions: [ready] } })).to.equal(true);
    expect(isReady({ status: { conditions: [{ ...ready, status: 'Unknown' }] } })).to.equal(false);
    expect(isReady({})).to.equal(false);
  });

  it('moves the transition time only when the status changes', () => {
    expect(transitionTime([ready], { type: 'Ready', status: 'True' }, 't1')).to.equal('t0');
    expect(transitionTime([ready], { type: 'Ready', status: 'False' }, 't1')).to.equal('t1');
    expect(transitionTime([], { type: 'Ready', status: 'True' }, 't1')).to.equal('t1');
  });

  it('keeps an unchanged condition exactly as it is, so a recomputed status writes nothing', () => {
    const list = [ready];
    const next = setCondition(list, { type: 'Ready', status: 'True', reason: 'AgentReady' }, 't5');
    expect(next).to.deep.equal([ready]);
    expect(next).to.not.equal(list);
  });

  it('replaces a changed condition in place and appends a new one', () => {
    const scheduled: Condition = { type: 'PodScheduled', status: 'True', lastTransitionTime: 't0' };
    const next = setCondition([scheduled, ready], { type: 'Ready', status: 'False', reason: 'NodeLost' }, 't2');
    expect(next).to.deep.equal([scheduled, { type: 'Ready', status: 'False', reason: 'NodeLost', lastTransitionTime: 't2' }]);
    const added = setCondition(next, { type: 'Initialized', status: 'True' }, 't3');
    expect(added.map((c) => c.type)).to.deep.equal(['PodScheduled', 'Ready', 'Initialized']);
  });

  it('keeps the transition time when only the reason changes, and dates lastUpdateTime when asked to', () => {
    const progressing: Condition = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastTransitionTime: 't0', lastUpdateTime: 't0' };
    const moved = setCondition([progressing], { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }, 't4');
    expect(moved[0]).to.include({ reason: 'NewReplicaSetAvailable', lastTransitionTime: 't0', lastUpdateTime: 't4' });
    const refreshed = setCondition([progressing], { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }, 't6', { refreshUpdateTime: true });
    expect(refreshed[0]).to.include({ lastTransitionTime: 't0', lastUpdateTime: 't6' });
  });
});
