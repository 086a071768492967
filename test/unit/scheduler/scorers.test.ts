import { expect } from 'chai';
import { preferNodeAffinity } from '../../../control-plane/scheduler/node-affinity.js';
import { preferPodAffinity } from '../../../control-plane/scheduler/pod-affinity.js';
import { podInfo } from '../../../control-plane/scheduler/pod-info.js';
import { SCORERS, leastAllocated, spreadOwner } from '../../../control-plane/scheduler/scorers.js';
import { ClusterSnapshot } from '../../../control-plane/scheduler/snapshot.js';
import type { NodeInfo } from '../../../control-plane/scheduler/snapshot.js';
import { node, pod } from './fixtures.js';

describe('scheduler scorers', () => {
  const snapshot = new ClusterSnapshot();
  snapshot.setNode(node('n1', { cpu: '4', memory: '8Gi' }));
  snapshot.setNode(node('n2', { cpu: '4', memory: '8Gi' }));
  snapshot.setPod(pod('web-1', { nodeName: 'n1', owner: 'web', cpu: '2', memory: '4Gi' }));
  const n1 = snapshot.node('n1') as NodeInfo;
  const n2 = snapshot.node('n2') as NodeInfo;

  it('spread counts replicas of the same controller only', () => {
    expect(spreadOwner(podInfo(pod('web-2', { owner: 'web' })), n1, snapshot)).to.equal(-1);
    expect(spreadOwner(podInfo(pod('web-2', { owner: 'web' })), n2, snapshot)).to.equal(0);
    expect(spreadOwner(podInfo(pod('db-1', { owner: 'db' })), n1, snapshot)).to.equal(0);
    expect(spreadOwner(podInfo(pod('lone')), n1, snapshot)).to.equal(0);
  });

  it('least-allocated is the mean free fraction of cpu and memory after placing the pod', () => {
    const p = podInfo(pod('p', { cpu: '1', memory: '2Gi' }));
    expect(leastAllocated(p, n1, snapshot)).to.equal((1 / 4 + 2 / 8) / 2);
    expect(leastAllocated(p, n2, snapshot)).to.equal((3 / 4 + 6 / 8) / 2);
  });

  it('scores a pod without requests with Kubernetes default requests, so such pods still spread', () => {
    const p = podInfo(pod('p'));
    expect(p.cpuMillis).to.equal(0);
    expect(leastAllocated(p, n2, snapshot)).to.be.below(1);
  });

  it("ranks the pod's own preferences first, then spreading, then load", () => {
    expect(SCORERS).to.deep.equal([preferNodeAffinity, preferPodAffinity, spreadOwner, leastAllocated]);
  });
});
