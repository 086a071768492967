import { expect } from 'chai';
import { CollectingEventSink } from '../../support/event-sink.js';
import { silentLogger } from '../../support/logger.js';
import { EventPacer } from '../../../control-plane/scheduler/event-pacer.js';
import { unschedulablePod } from '../../../control-plane/scheduler/pod-conditions.js';
import { eventually } from '../../support/wait.js';
import { pod } from './fixtures.js';

describe('EventPacer', () => {
  it('passes events straight on while the scheduler is idle', () => {
    const sink = new CollectingEventSink();
    new EventPacer(sink, () => false, silentLogger()).record(pod('a'), 'Normal', 'Scheduled', 'Successfully assigned default/a to n1');
    expect(sink.events).to.deep.equal([{ object: 'Pod/default/a', type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/a to n1' }]);
  });

  it('holds events back while binding is busy and delivers every one, in order, afterwards', async () => {
    const sink = new CollectingEventSink();
    let busy = true;
    const pacer = new EventPacer(sink, () => busy, silentLogger(), { busyRatePerSecond: 10 });
    for (let i = 0; i < 20; i++) pacer.record(pod(`p${i}`), 'Normal', 'Scheduled', `m${i}`);
    expect(sink.events.length).to.be.below(20);
    busy = false;
    await eventually(() => expect(sink.events.map((e) => e.message)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `m${i}`)));
  });
});

describe('PodScheduled=False condition', () => {
  it('is written only when the message changes, keeping the time of the first failure', () => {
    const p = pod('a');
    const first = unschedulablePod(p, '0/1 nodes are available: 1 Insufficient cpu.', 't1');
    expect(first?.status?.conditions).to.deep.equal([{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.', lastProbeTime: null, lastTransitionTime: 't1' }]);
    expect(unschedulablePod(first as typeof p, '0/1 nodes are available: 1 Insufficient cpu.', 't2')).to.equal(undefined);
    const second = unschedulablePod(first as typeof p, '0/2 nodes are available: 2 Insufficient cpu.', 't3');
    expect(second?.status?.conditions?.[0]).to.deep.include({ message: '0/2 nodes are available: 2 Insufficient cpu.', lastTransitionTime: 't1' });
    expect(p.status?.conditions).to.equal(undefined);
  });
});
