import { expect } from 'chai';
import type { Node, Taint } from '../../../proto/objects/cluster.js';
import type { DaemonSet } from '../../../proto/objects/daemonset.js';
import type { Pod } from '../../../proto/objects/pod.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  daemonPodFor,
  daemonPodNode,
  daemonSetHash,
  daemonSetStatus,
  maxUnavailableCount,
  nextAvailabilityCheckMs,
  nodePlacement,
  planDaemonPods,
  planRollingUpdate,
} from '../../../control-plane/controllers/daemonset-logic.js';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const ID = { uid: 'p-uid', creationTimestamp: '2026-01-01T00:00:00Z' };

function node(name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { taints } };
}

function daemonSet(spec: Partial<DaemonSet['spec']['template']['spec']> = {}, maxUnavailable: number | string = 1): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', generation: 2 },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable } },
    },
  };
}

/** A daemon pod of `ds` for `nodeName`, bound there, ready or not, of the current template unless `hash` says otherwise. */
function daemonPod(ds: DaemonSet, name: string, nodeName: string, opts: { ready?: boolean; hash?: string; phase?: 'Failed' | 'Succeeded'; created?: string } = {}): Pod {
  const p = daemonPodFor(ds, nodeName, opts.hash ?? daemonSetHash(ds), name, { uid: name, creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z' });
  p.spec.nodeName = nodeName;
  p.status = { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] };
  return p;
}

describe('DaemonSet controller logic', () => {
  it('places a pod on a node by a required matchFields affinity on metadata.name, with the tolerations Kubernetes adds', () => {
    const ds = daemonSet({ tolerations: [{ key: 'gpu', operator: 'Exists' }], affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } }] } } });
    const p = daemonPodFor(ds, 'node-2', 'h1', 'agent-abcde', ID);
    expect(p.spec.nodeName).to.equal(undefined);
    expect(p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).to.deep.equal({ nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-2'] }] }] });
    expect(p.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).to.have.length(1);
    expect(p.spec.tolerations?.map((t) => `${t.key}:${t.effect ?? ''}`)).to.deep.equal([
      'gpu:',
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    expect(p.metadata.labels).to.deep.equal({ app: 'agent', [CONTROLLER_REVISION_HASH_LABEL]: 'h1' });
    expect(p.metadata.ownerReferences?.[0]).to.include({ kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true });
    expect(daemonPodNode(p)).to.equal('node-2');
    // The template itself is left as it was.
    expect(ds.spec.template.spec.tolerations).to.have.length(1);
  });

  it('judges nodes by nodeSelector, required node affinity and taints', () => {
    const picky = daemonSet({ nodeSelector: { disk: 'ssd' } });
    expect(nodePlacement(picky, node('a', { disk: 'ssd' }))).to.deep.equal({ shouldRun: true, shouldContinueRunning: true });
    expect(nodePlacement(picky, node('b'))).to.deep.equal({ shouldRun: false, shouldContinueRunning: false });
    const affine = daemonSet({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['b'] }] }] } } } });
    expect(nodePlacement(affine, node('a')).shouldRun).to.equal(true);
    expect(nodePlacement(affine, node('b')).shouldRun).to.equal(false);
    const plain = daemonSet();
    // An untolerated NoSchedule taint keeps new pods off but leaves a running one; NoExecute removes it.
    expect(nodePlacement(plain, node('c', {}, [{ key: 'infra', effect: 'NoSchedule' }]))).to.deep.equal({ shouldRun: false, shouldContinueRunning: true });
    expect(nodePlacement(plain, node('c', {}, [{ key: 'infra', effect: 'NoExecute' }]))).to.deep.equal({ shouldRun: false, shouldContinueRunning: false });
    expect(nodePlacement(plain, node('c', {}, [{ key: 'infra', effect: 'PreferNoSchedule' }])).shouldRun).to.equal(true);
    // Cordoned and unreachable nodes are tolerated by every daemon pod.
    expect(nodePlacement(plain, node('c', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }])).shouldRun).to.equal(true);
    const tolerant = daemonSet({ tolerations: [{ key: 'infra', operator: 'Equal', value: 'yes', effect: 'NoSchedule' }] });
    expect(nodePlacement(tolerant, node('c', {}, [{ key: 'infra', value: 'yes', effect: 'NoSchedule' }])).shouldRun).to.equal(true);
    expect(nodePlacement(tolerant, node('c', {}, [{ key: 'infra', value: 'no', effect: 'NoSchedule' }])).shouldRun).to.equal(false);
  });

  it('creates a pod for each eligible node without one, and deletes pods on nodes it left, gone nodes, extras and failed ones', () => {
    const ds = daemonSet({ nodeSelector: { role: 'edge' } });
    const nodes = [node('n1', { role: 'edge' }), node('n2', { role: 'edge' }), node('n3', { role: 'edge' }), node('n4')];
    const owned = [
      daemonPod(ds, 'on-n1', 'n1'),
      daemonPod(ds, 'failed-n2', 'n2', { phase: 'Failed' }),
      daemonPod(ds, 'old-n3', 'n3', { created: '2026-01-01T00:00:00Z' }),
      daemonPod(ds, 'new-n3', 'n3', { created: '2026-01-01T00:00:05Z' }),
      daemonPod(ds, 'on-n4', 'n4'),
      daemonPod(ds, 'on-gone', 'n9'),
    ];
    const plan = planDaemonPods(ds, nodes, owned);
    expect(plan.createOn).to.deep.equal(['n2']);
    expect(plan.delete.map((p) => p.metadata.name).sort()).to.deep.equal(['failed-n2', 'new-n3', 'on-gone', 'on-n4']);
    // A pod still waiting for the scheduler counts for the node its affinity names.
    const pending = daemonPodFor(ds, 'n2', daemonSetHash(ds), 'pending-n2', ID);
    expect(planDaemonPods(ds, [node('n2', { role: 'edge' })], [pending])).to.deep.equal({ createOn: [], delete: [] });
  });

  it('a rolling update deletes old pods at most maxUnavailable at a time, unavailable old pods first and at once', () => {
    const ds = daemonSet({}, 1);
    const nodes = [node('n1'), node('n2'), node('n3'), node('n4')];
    const old = (name: string, n: string, ready = true) => daemonPod(ds, name, n, { hash: 'old', ready });
    expect(planRollingUpdate(ds, nodes, [old('a', 'n1'), old('b', 'n2'), old('c', 'n3'), old('d', 'n4')], daemonSetHash(ds), NOW).map((p) => p.metadata.name)).to.deep.equal(['a']);
    // A broken old pod goes regardless of the budget; an updated pod that is not ready yet uses it up.
    const mixed = [old('a', 'n1', false), daemonPod(ds, 'b2', 'n2', { ready: false }), old('c', 'n3'), old('d', 'n4')];
    expect(planRollingUpdate(ds, nodes, mixed, daemonSetHash(ds), NOW).map((p) => p.metadata.name)).to.deep.equal(['a']);
    // A node without a pod (being replaced) counts as unavailable too.
    expect(planRollingUpdate(ds, nodes, [old('b', 'n2'), old('c', 'n3'), old('d', 'n4')], daemonSetHash(ds), NOW)).to.deep.equal([]);
    const wide = daemonSet({}, '50%');
    expect(maxUnavailableCount(wide, 3)).to.equal(2);
    expect(planRollingUpdate(wide, nodes, [old('a', 'n1'), old('b', 'n2'), old('c', 'n3'), old('d', 'n4')], daemonSetHash(wide), NOW).map((p) => p.metadata.name)).to.deep.equal(['a', 'b']);
  });

  it('the revision hash follows the template, whether or not it was stored with defaults', () => {
    const ds = daemonSet();
    const changed = daemonSet();
    changed.spec.template.spec.containers[0]!.image = 'busybox:2';
    expect(daemonSetHash(ds)).to.not.equal(daemonSetHash(changed));
    const defaulted = daemonSet({ restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst' });
    expect(daemonSetHash(defaulted)).to.equal(daemonSetHash(ds));
  });

  it('counts desired, current, ready, available, up-to-date and misscheduled nodes as Kubernetes does', () => {
    const ds = daemonSet({ nodeSelector: { role: 'edge' } });
    const nodes = [node('n1', { role: 'edge' }), node('n2', { role: 'edge' }), node('n3', { role: 'edge' }), node('n4')];
    const owned = [daemonPod(ds, 'a', 'n1'), daemonPod(ds, 'b', 'n2', { ready: false, hash: 'old' }), daemonPod(ds, 'd', 'n4')];
    expect(daemonSetStatus(ds, nodes, owned, daemonSetHash(ds), NOW)).to.deep.equal({
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      desiredNumberScheduled: 3,
      numberReady: 1,
      observedGeneration: 2,
      updatedNumberScheduled: 1,
      numberAvailable: 1,
      numberUnavailable: 2,
    });
  });

  it('with minReadySeconds, comes back when the first ready pod becomes available', () => {
    const ds = daemonSet();
    ds.spec.minReadySeconds = 30;
    const pod = daemonPod(ds, 'a', 'n1');
    pod.status!.conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:59:50Z' }];
    expect(nextAvailabilityCheckMs(ds, [pod], NOW)).to.equal(20_100);
    expect(daemonSetStatus(ds, [node('n1')], [pod], daemonSetHash(ds), NOW)).to.include({ numberReady: 1, numberAvailable: 0 });
    expect(nextAvailabilityCheckMs(ds, [pod], NOW + 30_000)).to.equal(undefined);
    expect(nextAvailabilityCheckMs(daemonSet(), [pod], NOW)).to.equal(undefined);
  });
});
