import { expect } from 'chai';
import { nodeAffinityMatches, preferNodeAffinity, requirementMatches, termMatches } from '../../../control-plane/scheduler/node-affinity.js';
import { Planner } from '../../../control-plane/scheduler/planner.js';
import { podInfo } from '../../../control-plane/scheduler/pod-info.js';
import { ClusterSnapshot } from '../../../control-plane/scheduler/snapshot.js';
import type { NodeInfo } from '../../../control-plane/scheduler/snapshot.js';
import type { NodeSelectorTerm, PreferredSchedulingTerm } from '../../../proto/objects/affinity.js';
import { node, pod } from './fixtures.js';

const n = (name: string, labels: Record<string, string>) => ({ name, labels });
const requiring = (name: string, ...nodeSelectorTerms: NodeSelectorTerm[]) =>
  pod(name, { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } } } });
const preferring = (name: string, ...terms: PreferredSchedulingTerm[]) =>
  pod(name, { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms } } } });

describe('node affinity matching', () => {
  const labels = { disk: 'ssd', cores: '8', zone: 'a' };

  it('In, NotIn, Exists and DoesNotExist compare labels as a label selector does', () => {
    expect(requirementMatches({ key: 'disk', operator: 'In', values: ['hdd', 'ssd'] }, labels)).to.equal(true);
    expect(requirementMatches({ key: 'disk', operator: 'In', values: ['hdd'] }, labels)).to.equal(false);
    expect(requirementMatches({ key: 'zone', operator: 'NotIn', values: ['b'] }, labels)).to.equal(true);
    expect(requirementMatches({ key: 'gpu', operator: 'NotIn', values: ['x'] }, labels)).to.equal(true);
    expect(requirementMatches({ key: 'zone', operator: 'NotIn', values: ['a'] }, labels)).to.equal(false);
    expect(requirementMatches({ key: 'disk', operator: 'Exists' }, labels)).to.equal(true);
    expect(requirementMatches({ key: 'gpu', operator: 'Exists' }, labels)).to.equal(false);
    expect(requirementMatches({ key: 'gpu', operator: 'DoesNotExist' }, labels)).to.equal(true);
  });

  it('Gt and Lt compare integers; a missing or non-integer label matches neither', () => {
    expect(requirementMatches({ key: 'cores', operator: 'Gt', values: ['4'] }, labels)).to.equal(true);
    expect(requirementMatches({ key: 'cores', operator: 'Gt', values: ['8'] }, labels)).to.equal(false);
    expect(requirementMatches({ key: 'cores', operator: 'Lt', values: ['10'] }, labels)).to.equal(true);
    expect(requirementMatches({ key: 'cores', operator: 'Lt', values: ['8'] }, labels)).to.equal(false);
    expect(requirementMatches({ key: 'disk', operator: 'Gt', values: ['1'] }, labels)).to.equal(false);
    expect(requirementMatches({ key: 'ram', operator: 'Lt', values: ['1'] }, labels)).to.equal(false);
  });

  it('ANDs the requirements of a term, fields included; an empty term matches nothing', () => {
    const term: NodeSelectorTerm = { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] };
    expect(termMatches(term, n('n1', labels))).to.equal(true);
    expect(termMatches(term, n('n2', labels))).to.equal(false);
    expect(termMatches(term, n('n1', {}))).to.equal(false);
    expect(termMatches({}, n('n1', labels))).to.equal(false);
  });
});

describe('node affinity filter and scorer', () => {
  const snapshot = new ClusterSnapshot();
  snapshot.setNode(node('n1', { labels: { disk: 'ssd' } }));
  snapshot.setNode(node('n2', { labels: { disk: 'hdd', gpu: 'yes' } }));
  const n1 = snapshot.node('n1') as NodeInfo;
  const n2 = snapshot.node('n2') as NodeInfo;

  it('ORs the terms of required node affinity', () => {
    const p = podInfo(requiring('p', { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }, { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }));
    expect(nodeAffinityMatches(p, n1, snapshot).ok).to.equal(true);
    expect(nodeAffinityMatches(p, n2, snapshot).ok).to.equal(true);
    const only = podInfo(requiring('q', { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] }));
    expect(nodeAffinityMatches(only, n1, snapshot)).to.deep.equal({ ok: false, reasons: ["node(s) didn't match Pod's node affinity/selector"] });
    expect(nodeAffinityMatches(only, n2, snapshot).ok).to.equal(true);
  });

  it('scores the sum of the weights of the preferred terms a node matches', () => {
    const p = podInfo(
      preferring('p', { weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }, { weight: 30, preference: { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] } }),
    );
    expect(preferNodeAffinity(p, n1, snapshot)).to.equal(10);
    expect(preferNodeAffinity(p, n2, snapshot)).to.equal(30);
    expect(preferNodeAffinity(podInfo(pod('plain')), n1, snapshot)).to.equal(0);
  });

  it('leaves a pod that requires a label no node has unschedulable, in Kubernetes words', () => {
    const s = new ClusterSnapshot();
    for (const name of ['n1', 'n2', 'n3']) s.setNode(node(name));
    const result = new Planner(s).schedule(podInfo(requiring('p', { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] })));
    expect(result).to.include({ kind: 'unschedulable', message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector." });
  });

  it('places a pod on the node it prefers, even against spreading and load', () => {
    const s = new ClusterSnapshot();
    s.setNode(node('n1'));
    s.setNode(node('n2', { labels: { disk: 'ssd' } }));
    s.setPod(pod('busy', { nodeName: 'n2', cpu: '3', owner: 'web' }));
    const p = podInfo(pod('web-2', { owner: 'web', spec: preferring('x', { weight: 1, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }).spec }));
    expect(new Planner(s).schedule(p)).to.deep.equal({ kind: 'scheduled', nodeName: 'n2' });
  });
});
