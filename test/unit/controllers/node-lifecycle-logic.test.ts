import { expect } from 'chai';
import { decideNodeAction, judgeLease, markPodNodeLost, withReadyCondition } from '../../../control-plane/controllers/node-lifecycle-logic.js';
import type { Node } from '../../../proto/objects/cluster.js';
import { pod } from './fixtures.js';

function node(ready: { status: 'True' | 'False' | 'Unknown'; reason?: string } | undefined): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n' }, spec: {}, status: { conditions: ready ? [{ type: 'Ready', ...ready, lastHeartbeatTime: '2026-01-01T00:00:00Z' }] : [] } };
}

describe('node-lifecycle controller logic', () => {
  it('judges a lease stale once unrenewed for the grace period, and says when that will be', () => {
    expect(judgeLease(1000, 5999, 5000)).to.deep.equal({ kind: 'fresh', staleInMs: 1 });
    expect(judgeLease(1000, 6000, 5000)).to.deep.equal({ kind: 'stale' });
  });

  it('marks NotReady only when stale, and Ready again only when fresh after its own NotReady', () => {
    expect(decideNodeAction(node({ status: 'True' }), { kind: 'stale' })).to.deep.equal({ kind: 'markNotReady' });
    expect(decideNodeAction(node({ status: 'Unknown', reason: 'NodeStatusUnknown' }), { kind: 'stale' })).to.deep.equal({ kind: 'none' });
    expect(decideNodeAction(node({ status: 'Unknown', reason: 'NodeStatusUnknown' }), { kind: 'fresh', staleInMs: 10 })).to.deep.equal({ kind: 'markReady' });
    // The agent's own NotReady (a broken runtime, say) is the agent's business.
    expect(decideNodeAction(node({ status: 'False', reason: 'RuntimeDown' }), { kind: 'fresh', staleInMs: 10 })).to.deep.equal({ kind: 'none' });
    expect(decideNodeAction(node({ status: 'True' }), { kind: 'fresh', staleInMs: 10 })).to.deep.equal({ kind: 'none' });
  });

  it('sets Ready Unknown with the reason and message users know from Kubernetes', () => {
    const [ready] = withReadyCondition(node({ status: 'True' }), 'markNotReady', '2026-01-01T00:00:10Z');
    expect(ready).to.deep.equal({
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Agent stopped posting node status.',
      lastHeartbeatTime: '2026-01-01T00:00:00Z',
      lastTransitionTime: '2026-01-01T00:00:10Z',
    });
  });

  it('marks a lost pod Failed with reason NodeLost and Ready False', () => {
    const p = markPodNodeLost(pod('web-1', { nodeName: 'n1', ready: true }), 'n1', '2026-01-01T00:00:10Z');
    expect(p.status).to.deep.include({ phase: 'Failed', reason: 'NodeLost', message: 'Node n1 which was running pod web-1 is unresponsive' });
    expect(p.status?.conditions?.find((c) => c.type === 'Ready')).to.include({ status: 'False', lastTransitionTime: '2026-01-01T00:00:10Z' });
  });
});
