import { expect } from 'chai';
import type { Node } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { routePodChange } from '../../../control-plane/nodes/node-pod-index.js';
import { mergeRegistration } from '../../../control-plane/nodes/node-registration.js';
import { firstFreeNodeCidr, PodCidrExhaustedError } from '../../../control-plane/nodes/pod-cidr.js';
import { parseMirrors } from '../../../node-agent/agent/options.js';

const pod = (node?: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [], ...(node ? { nodeName: node } : {}) } });

describe('NodeAPI logic (control plane side of the agents)', () => {
  it('hands out the first free /24 of 10.244.0.0/16', () => {
    expect(firstFreeNodeCidr([])).to.equal('10.244.0.0/24');
    expect(firstFreeNodeCidr(['10.244.0.0/24', '10.244.2.0/24'])).to.equal('10.244.1.0/24');
    expect(() => firstFreeNodeCidr(['10.0.0.0/24'], '10.0.0.0/24')).to.throw(PodCidrExhaustedError);
  });

  it('sends a node no change of a pod\'s status alone: its agent wrote it', () => {
    const before = { ...pod('a'), metadata: { ...pod('a').metadata, resourceVersion: '7' } };
    const reported = { ...before, metadata: { ...before.metadata, resourceVersion: '8' }, status: { phase: 'Running' } };
    expect(routePodChange('MODIFIED', reported, before)).to.deep.equal([]);
    const deleting = { ...reported, metadata: { ...reported.metadata, resourceVersion: '9', deletionTimestamp: '2026-11-30T05:00:00Z' } };
    expect(routePodChange('MODIFIED', deleting, reported).map((r) => [r.node, r.event.type])).to.deep.equal([['a', 'MODIFIED']]);
  });

  it('routes pod changes to nodes: binding is ADDED, moving away or deletion is DELETED', () => {
    expect(routePodChange('ADDED', pod(), undefined)).to.deep.equal([]);
    expect(routePodChange('MODIFIED', pod('a'), pod()).map((r) => [r.node, r.event.type])).to.deep.equal([['a', 'ADDED']]);
    const labelled = { ...pod('a'), metadata: { ...pod('a').metadata, labels: { tier: 'web' } } };
    expect(routePodChange('MODIFIED', labelled, pod('a')).map((r) => [r.node, r.event.type])).to.deep.equal([['a', 'MODIFIED']]);
    expect(routePodChange('MODIFIED', pod('b'), pod('a')).map((r) => [r.node, r.event.type])).to.deep.equal([['a', 'DELETED'], ['b', 'ADDED']]);
    expect(routePodChange('DELETED', pod(), pod('a')).map((r) => [r.node, r.event.type])).to.deep.equal([['a', 'DELETED']]);
  });

  it('registration keeps what administrators set (unschedulable, taints, extra labels) and sets Ready', () => {
    const stored: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1', uid: 'old', labels: { team: 'x' } },
      spec: { unschedulable: true, taints: [{ key: 'k', effect: 'NoSchedule' }], podCIDR: '10.244.3.0/24' },
      status: { conditions: [{ type: 'Ready', status: 'False', reason: 'NodeStatusUnknown' }] },
    };
    const reported: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } }, spec: {}, status: { capacity: { cpu: '2' } } };
    const merged = mergeRegistration(reported, stored, { uid: 'new', creationTimestamp: 't' }, 'now');
    expect(merged.metadata.uid).to.equal('old');
    expect(merged.spec).to.deep.equal(stored.spec);
    expect(merged.metadata.labels).to.deep.equal({ team: 'x', 'kubernetes.io/hostname': 'n1' });
    expect(merged.status?.capacity).to.deep.equal({ cpu: '2' });
    expect(merged.status?.conditions?.find((c) => c.type === 'Ready')).to.include({ status: 'True', lastTransitionTime: 'now' });
  });

  it('gives a registering Node the kubernetes.io/hostname label, its name, when the agent sends none', () => {
    const reported: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n7' }, spec: {}, status: {} };
    const merged = mergeRegistration(reported, undefined, { uid: 'u', creationTimestamp: 't' }, 'now');
    expect(merged.metadata.labels).to.deep.equal({ 'kubernetes.io/hostname': 'n7' });
  });

  it('reads --registry-mirror HOST=URL flags', () => {
    expect(parseMirrors(['docker.io=http://127.0.0.1:5000', 'docker.io=http://m2'])).to.deep.equal({ 'docker.io': ['http://127.0.0.1:5000', 'http://m2'] });
    expect(() => parseMirrors(['nohost'])).to.throw(/HOST=URL/);
  });
});
