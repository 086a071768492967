import { expect } from 'chai';
import { FILTERS, hostPortsFree, nodeReady, nodeSchedulable, nodeSelectorMatches, resourcesFit, runFilters, taintsTolerated, tolerates } from '../../../control-plane/scheduler/filters.js';
import { podInfo } from '../../../control-plane/scheduler/pod-info.js';
import { ClusterSnapshot } from '../../../control-plane/scheduler/snapshot.js';
import type { NodeInfo } from '../../../control-plane/scheduler/snapshot.js';
import type { Node } from '../../../proto/objects/cluster.js';
import { node, pod } from './fixtures.js';

function snapshotWith(...nodes: Node[]): { snapshot: ClusterSnapshot; info: (name: string) => NodeInfo } {
  const snapshot = new ClusterSnapshot();
  for (const n of nodes) snapshot.setNode(n);
  return { snapshot, info: (name) => snapshot.node(name) as NodeInfo };
}

describe('scheduler filters', () => {
  it('rejects a node that is not Ready, in Kubernetes-style words', () => {
    const { snapshot, info } = snapshotWith(node('a', { ready: false }), node('b'));
    expect(nodeReady(podInfo(pod('p')), info('a'), snapshot)).to.deep.equal({ ok: false, reasons: ['node(s) were not ready'] });
    expect(nodeReady(podInfo(pod('p')), info('b'), snapshot)).to.deep.equal({ ok: true });
  });

  it('treats a node without a Ready condition as not ready', () => {
    const n = node('a');
    delete n.status?.conditions;
    const { snapshot, info } = snapshotWith(n);
    expect(nodeReady(podInfo(pod('p')), info('a'), snapshot).ok).to.equal(false);
  });

  it('rejects a cordoned node unless the pod tolerates the unschedulable taint', () => {
    const { snapshot, info } = snapshotWith(node('a', { cordoned: true }));
    expect(nodeSchedulable(podInfo(pod('p')), info('a'), snapshot)).to.deep.equal({ ok: false, reasons: ['node(s) were unschedulable'] });
    const tolerant = pod('q', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } });
    expect(nodeSchedulable(podInfo(tolerant), info('a'), snapshot).ok).to.equal(true);
  });

  it('checks every nodeSelector label', () => {
    const { snapshot, info } = snapshotWith(node('a', { labels: { disk: 'ssd', zone: 'z1' } }));
    expect(nodeSelectorMatches(podInfo(pod('p', { spec: { nodeSelector: { disk: 'ssd' } } })), info('a'), snapshot).ok).to.equal(true);
    expect(nodeSelectorMatches(podInfo(pod('p', { spec: { nodeSelector: { disk: 'ssd', zone: 'z2' } } })), info('a'), snapshot)).to.deep.equal({
      ok: false,
      reasons: ["node(s) didn't match Pod's node affinity/selector"],
    });
  });

  it('rejects NoSchedule and NoExecute taints the pod does not tolerate, naming the taint', () => {
    const { snapshot, info } = snapshotWith(
      node('a', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
      node('b', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }),
      node('c', { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }),
    );
    const plain = podInfo(pod('p'));
    expect(taintsTolerated(plain, info('a'), snapshot)).to.deep.equal({ ok: false, reasons: ['node(s) had untolerated taint {dedicated: gpu}'] });
    expect(taintsTolerated(plain, info('b'), snapshot).ok).to.equal(true);
    expect(taintsTolerated(plain, info('c'), snapshot)).to.deep.equal({ ok: false, reasons: ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'] });
    const tolerant = podInfo(pod('q', { spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] } }));
    expect(taintsTolerated(tolerant, info('a'), snapshot).ok).to.equal(true);
  });

  it('matches tolerations like Kubernetes', () => {
    const taint = { key: 'k', value: 'v', effect: 'NoSchedule' as const };
    expect(tolerates({ operator: 'Exists' }, taint)).to.equal(true);
    expect(tolerates({ key: 'k', operator: 'Exists' }, taint)).to.equal(true);
    expect(tolerates({ key: 'k', value: 'v' }, taint)).to.equal(true);
    expect(tolerates({ key: 'k', value: 'other' }, taint)).to.equal(false);
    expect(tolerates({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, taint)).to.equal(false);
    expect(tolerates({ value: 'v' }, taint)).to.equal(false);
  });

  it('rejects a host port already held on the node, on the same or any address', () => {
    const { snapshot, info } = snapshotWith(node('a'));
    snapshot.setPod(pod('web', { nodeName: 'a', hostPort: 8080 }));
    expect(hostPortsFree(podInfo(pod('p', { hostPort: 8080 })), info('a'), snapshot)).to.deep.equal({
      ok: false,
      reasons: ["node(s) didn't have free ports for the requested pod ports"],
    });
    expect(hostPortsFree(podInfo(pod('p', { hostPort: 8081 })), info('a'), snapshot).ok).to.equal(true);
    const udp = pod('u', { hostPort: 8080 });
    (udp.spec.containers[0]?.ports?.[0] as { protocol?: string }).protocol = 'UDP';
    expect(hostPortsFree(podInfo(udp), info('a'), snapshot).ok).to.equal(true);
  });

  it('fits requests against allocatable minus what bound pods request', () => {
    const { snapshot, info } = snapshotWith(node('a', { cpu: '2', memory: '1Gi', pods: '3' }));
    snapshot.setPod(pod('big', { nodeName: 'a', cpu: '1500m', memory: '512Mi' }));
    expect(resourcesFit(podInfo(pod('p', { cpu: '500m', memory: '512Mi' })), info('a'), snapshot).ok).to.equal(true);
    expect(resourcesFit(podInfo(pod('p', { cpu: '600m', memory: '600Mi' })), info('a'), snapshot)).to.deep.equal({
      ok: false,
      reasons: ['Insufficient cpu', 'Insufficient memory'],
    });
    snapshot.setPod(pod('x', { nodeName: 'a' }));
    snapshot.setPod(pod('y', { nodeName: 'a' }));
    expect(resourcesFit(podInfo(pod('p')), info('a'), snapshot)).to.deep.equal({ ok: false, reasons: ['Too many pods'] });
  });

  it('frees the resources of a finished pod', () => {
    const { snapshot, info } = snapshotWith(node('a', { cpu: '1' }));
    const done = pod('done', { nodeName: 'a', cpu: '1' });
    snapshot.setPod(done);
    expect(resourcesFit(podInfo(pod('p', { cpu: '1' })), info('a'), snapshot).ok).to.equal(false);
    snapshot.setPod({ ...done, status: { phase: 'Succeeded' } });
    expect(resourcesFit(podInfo(pod('p', { cpu: '1' })), info('a'), snapshot).ok).to.equal(true);
  });

  it('runs in order and reports only the first rejection per node', () => {
    const { snapshot, info } = snapshotWith(node('a', { ready: false, cordoned: true, memory: '1Mi' }));
    expect(FILTERS[0]).to.equal(nodeReady);
    expect(runFilters(podInfo(pod('p', { memory: '1Gi' })), info('a'), snapshot)).to.deep.equal({ ok: false, reasons: ['node(s) were not ready'] });
  });
});
