import { expect } from 'chai';
import type { Node } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { ControllerHarness, R, activePods, useControllerHarness } from './harness.js';

describe('node-lifecycle controller on a real etcd', function () {
  this.timeout(60_000);
  let h: ControllerHarness;
  useControllerHarness((harness) => {
    h = harness;
  });

  const ready = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready');

  it('marks a node with a stale lease NotReady and its pods Failed NodeLost; the ReplicaSet replaces them', async () => {
    await h.addNode('n1');
    await h.addNode('n2');
    await h.createDeployment('web', 2);
    await h.converge();
    const [a, b] = (await h.list<Pod>(R.pods)).map((p) => p.metadata.name) as [string, string];
    await h.bind(a, 'n1', true);
    await h.bind(b, 'n2', true);
    await h.caughtUp();

    // Both leases are fresh: each node gets a timer for when its lease would go stale.
    expect(await h.nodeLifecycle.reconcile('n1')).to.deep.equal({ kind: 'requeueAfter', delayMs: 5001 });
    expect(await h.nodeLifecycle.reconcile('n2')).to.deep.equal({ kind: 'requeueAfter', delayMs: 5001 });

    // n2's agent keeps renewing; n1's falls silent.
    h.clock += 4000;
    await h.renewLease('n2');
    await h.caughtUp();
    expect(await h.nodeLifecycle.reconcile('n2')).to.deep.equal({ kind: 'requeueAfter', delayMs: 5001 });
    h.clock += 1000;
    expect(await h.nodeLifecycle.reconcile('n1')).to.deep.equal({ kind: 'done' });
    expect(await h.nodeLifecycle.reconcile('n2')).to.deep.equal({ kind: 'requeueAfter', delayMs: 4001 });

    expect(ready(await h.get<Node>(R.nodes, 'n1'))).to.include({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Agent stopped posting node status.' });
    expect(ready(await h.get<Node>(R.nodes, 'n2'))).to.include({ status: 'True' });
    expect(h.events.events).to.deep.include({ object: 'Node/n1', type: 'Normal', reason: 'NodeNotReady', message: 'Node n1 status is now: NodeNotReady' });
    const lost = await h.get<Pod>(R.pods, a);
    expect(lost.status).to.include({ phase: 'Failed', reason: 'NodeLost', message: `Node n1 which was running pod ${a} is unresponsive` });
    expect(lost.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('False');
    expect((await h.get<Pod>(R.pods, b)).status?.phase).to.equal('Running');

    // The ReplicaSet deletes the lost pod and creates a replacement (for the scheduler to place).
    await h.converge();
    const pods = await h.list<Pod>(R.pods);
    expect(pods.map((p) => p.metadata.name)).to.not.include(a);
    expect(activePods(pods)).to.have.length(2);
    expect(pods.filter((p) => !p.spec.nodeName)).to.have.length(1);

    // n1's agent comes back: Ready again.
    h.clock += 1000;
    await h.renewLease('n1');
    await h.caughtUp();
    expect(await h.nodeLifecycle.reconcile('n1')).to.deep.equal({ kind: 'requeueAfter', delayMs: 5001 });
    expect(ready(await h.get<Node>(R.nodes, 'n1'))).to.include({ status: 'True', reason: 'AgentReady' });
    expect(h.events.events).to.deep.include({ object: 'Node/n1', type: 'Normal', reason: 'NodeReady', message: 'Node n1 status is now: NodeReady' });
  });

  it('leaves a node alone, and its agent-posted condition too, while its lease is renewed', async () => {
    await h.addNode('n1');
    await h.caughtUp();
    for (let i = 0; i < 3; i++) {
      await h.nodeLifecycle.reconcile('n1');
      h.clock += 3000;
      await h.renewLease('n1');
      await h.caughtUp();
    }
    await h.nodeLifecycle.reconcile('n1');
    expect(ready(await h.get<Node>(R.nodes, 'n1'))).to.include({ status: 'True', reason: 'AgentReady' });
    expect(h.events.events).to.deep.equal([]);
    expect(await h.nodeLifecycle.reconcile('gone')).to.deep.equal({ kind: 'done' });
  });
});
