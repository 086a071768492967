import { expect } from 'chai';
import { failureMessage } from '../../../control-plane/scheduler/failure-message.js';
import { Planner, feasibleNodesToFind } from '../../../control-plane/scheduler/planner.js';
import { podInfo } from '../../../control-plane/scheduler/pod-info.js';
import { ClusterSnapshot } from '../../../control-plane/scheduler/snapshot.js';
import type { Node } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { node, pod } from './fixtures.js';

function planner(...nodes: Node[]): { snapshot: ClusterSnapshot; planner: Planner } {
  const snapshot = new ClusterSnapshot();
  for (const n of nodes) snapshot.setNode(n);
  return { snapshot, planner: new Planner(snapshot) };
}

const placements = (plan: ReturnType<Planner['plan']>) => Object.fromEntries(plan.bindings.map((b) => [b.pod.pod.metadata.name, b.nodeName]));

describe('scheduler planning on an in-memory snapshot', () => {
  it('spreads the replicas of one ReplicaSet across nodes before packing any', () => {
    const { planner: p } = planner(node('n1'), node('n2'), node('n3'));
    const plan = p.plan(['a', 'b', 'c'].map((n) => podInfo(pod(n, { owner: 'web', cpu: '100m' }))));
    expect(new Set(Object.values(placements(plan)))).to.deep.equal(new Set(['n1', 'n2', 'n3']));
  });

  it('prefers spreading over load: a replica goes to the busier node its ReplicaSet is not on', () => {
    const { snapshot, planner: p } = planner(node('n1'), node('n2'));
    snapshot.setPod(pod('busy', { nodeName: 'n2', cpu: '3' }));
    snapshot.setPod(pod('web-1', { nodeName: 'n1', owner: 'web', cpu: '100m' }));
    expect(placements(p.plan([podInfo(pod('web-2', { owner: 'web', cpu: '100m' }))]))).to.deep.equal({ 'web-2': 'n2' });
  });

  it('places a pod without owner on the least allocated node, ties to the first name', () => {
    const { snapshot, planner: p } = planner(node('n1'), node('n2'), node('n3'));
    snapshot.setPod(pod('x', { nodeName: 'n1', memory: '4Gi' }));
    expect(placements(p.plan([podInfo(pod('a', { cpu: '1' }))]))).to.deep.equal({ a: 'n2' });
  });

  it('is deterministic: the same input gives the same plan', () => {
    const run = () => {
      const { planner: p } = planner(node('n3'), node('n1'), node('n2'));
      return placements(p.plan(Array.from({ length: 20 }, (_, i) => podInfo(pod(`p${i}`, { owner: i % 2 ? 'a' : 'b', cpu: '100m' })))));
    };
    expect(run()).to.deep.equal(run());
  });

  it('accounts each placement before the next, so a batch never overcommits a node', () => {
    const { planner: p } = planner(node('n1', { cpu: '1', memory: '1Gi' }));
    const plan = p.plan(['a', 'b', 'c'].map((n) => podInfo(pod(n, { cpu: '400m' }))));
    expect(plan.bindings.map((b) => b.pod.pod.metadata.name)).to.deep.equal(['a', 'b']);
    expect(plan.unschedulable.map((u) => [u.pod.pod.metadata.name, u.message])).to.deep.equal([['c', '0/1 nodes are available: 1 Insufficient cpu.']]);
  });

  it('explains an unschedulable pod with counts per reason, in Kubernetes words', () => {
    const { planner: p } = planner(node('n1', { memory: '1Gi' }), node('n2', { memory: '1Gi' }), node('n3', { cordoned: true }));
    const result = p.schedule(podInfo(pod('big', { memory: '2Gi' })));
    expect(result).to.deep.include({ kind: 'unschedulable', message: '0/3 nodes are available: 2 Insufficient memory, 1 node(s) were unschedulable.' });
  });

  it('counts both reasons of a node short of cpu and memory', () => {
    const { planner: p } = planner(node('n1', { cpu: '1', memory: '1Gi' }), node('n2', { ready: false }));
    const result = p.schedule(podInfo(pod('big', { cpu: '2', memory: '2Gi' })));
    expect(result).to.deep.include({ message: '0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) were not ready.' });
  });

  it('says so when there are no nodes at all', () => {
    const { planner: p } = planner();
    expect(p.schedule(podInfo(pod('a')))).to.deep.include({ kind: 'unschedulable', message: 'no nodes available to schedule pods' });
  });

  it('formats reasons sorted by their text', () => {
    const message = failureMessage(5, new Map([['node(s) were unschedulable', 1], ['Insufficient memory', 3], ['Too many pods', 1]]));
    expect(message).to.equal('0/5 nodes are available: 3 Insufficient memory, 1 Too many pods, 1 node(s) were unschedulable.');
  });

  it('scores only part of a large cluster, as Kubernetes does, and still places every pod', () => {
    expect(feasibleNodesToFind(50, 0)).to.equal(50);
    expect(feasibleNodesToFind(1000, 0)).to.equal(420);
    expect(feasibleNodesToFind(5000, 0)).to.equal(500);
    expect(feasibleNodesToFind(1000, 100)).to.equal(1000);
    const nodes = Array.from({ length: 300 }, (_, i) => node(`n${String(i).padStart(3, '0')}`, { pods: '2' }));
    const { planner: p } = planner(...nodes);
    const plan = p.plan(Array.from({ length: 600 }, (_, i) => podInfo(pod(`p${i}`, { owner: 'rs' }))));
    expect(plan.bindings).to.have.length(600);
    const perNode = new Map<string, number>();
    for (const b of plan.bindings) perNode.set(b.nodeName, (perNode.get(b.nodeName) ?? 0) + 1);
    expect([...perNode.values()].every((n) => n === 2)).to.equal(true);
  });

  it('never plans onto a node whose capacity bound pods from another scheduler already use', () => {
    const { snapshot, planner: p } = planner(node('n1', { pods: '1' }), node('n2', { pods: '1' }));
    snapshot.setPod(pod('other', { nodeName: 'n1' }));
    const plan = p.plan([podInfo(pod('a')), podInfo(pod('b'))]);
    expect(placements(plan)).to.deep.equal({ a: 'n2' });
    expect(plan.unschedulable[0]?.message).to.equal('0/2 nodes are available: 2 Too many pods.');
  });
});

describe('ClusterSnapshot bookkeeping', () => {
  it('keeps an assumed placement until the store confirms it, and forgets one that failed', () => {
    const snapshot = new ClusterSnapshot();
    snapshot.setNode(node('n1', { cpu: '1' }));
    const p: Pod = pod('a', { cpu: '1' });
    snapshot.assume(podInfo(p), 'n1');
    // A status change of the still-unbound pod does not drop the assumption.
    snapshot.setPod(p);
    expect(snapshot.node('n1')?.requested.cpuMillis).to.equal(1000);
    snapshot.forget('default/a');
    expect(snapshot.node('n1')?.requested.cpuMillis).to.equal(0);
    snapshot.assume(podInfo(p), 'n1');
    snapshot.setPod({ ...p, spec: { ...p.spec, nodeName: 'n1' } });
    snapshot.forget('default/a');
    expect(snapshot.placementOf('default/a')).to.deep.equal({ nodeName: 'n1', assumed: false });
    expect(snapshot.node('n1')?.requested.cpuMillis).to.equal(1000);
    snapshot.removePod('default/a');
    expect(snapshot.node('n1')?.requested).to.deep.equal({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
  });

  it('counts pods bound to a node before its Node object arrives', () => {
    const snapshot = new ClusterSnapshot();
    snapshot.setPod(pod('a', { nodeName: 'late', cpu: '3' }));
    expect(snapshot.nodeList()).to.have.length(0);
    snapshot.setNode(node('late', { cpu: '4' }));
    expect(snapshot.nodeList().map((n) => [n.name, n.requested.cpuMillis])).to.deep.equal([['late', 3000]]);
  });
});
