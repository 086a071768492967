import { expect } from 'chai';
import { existingAntiAffinityRespected, podAffinityMatches, podAntiAffinityMatches, preferPodAffinity } from '../../../control-plane/scheduler/pod-affinity.js';
import { Planner } from '../../../control-plane/scheduler/planner.js';
import { podInfo } from '../../../control-plane/scheduler/pod-info.js';
import { ClusterSnapshot } from '../../../control-plane/scheduler/snapshot.js';
import type { NodeInfo } from '../../../control-plane/scheduler/snapshot.js';
import type { Affinity, PodAffinityTerm } from '../../../proto/objects/affinity.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { node, pod } from './fixtures.js';

const HOST = 'kubernetes.io/hostname';
const onHost = (app: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ labelSelector: { matchLabels: { app } }, topologyKey: HOST, ...extra });

function labelled(name: string, app: string, options: { nodeName?: string; affinity?: Affinity; namespace?: string } = {}): Pod {
  const p = pod(name, { ...(options.nodeName ? { nodeName: options.nodeName } : {}), ...(options.affinity ? { spec: { affinity: options.affinity } } : {}) });
  p.metadata.labels = { app };
  if (options.namespace) p.metadata.namespace = options.namespace;
  return p;
}

function cluster(...names: string[]): ClusterSnapshot {
  const s = new ClusterSnapshot();
  for (const name of names) s.setNode(node(name, { labels: { [HOST]: name } }));
  return s;
}

const avoid = (app: string): Affinity => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [onHost(app)] } });
const near = (app: string, extra: Partial<PodAffinityTerm> = {}): Affinity => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [onHost(app, extra)] } });

describe('pod affinity and anti-affinity filters', () => {
  it('anti-affinity keeps a pod off a node that runs a pod it selects, in its namespace only', () => {
    const s = cluster('n1', 'n2');
    s.setPod(labelled('web-1', 'web', { nodeName: 'n1' }));
    s.setPod(labelled('other-ns', 'web', { nodeName: 'n2', namespace: 'staging' }));
    const p = podInfo(labelled('web-2', 'web', { affinity: avoid('web') }));
    expect(podAntiAffinityMatches(p, s.node('n1') as NodeInfo, s)).to.deep.equal({ ok: false, reasons: ["node(s) didn't match pod anti-affinity rules"] });
    expect(podAntiAffinityMatches(p, s.node('n2') as NodeInfo, s).ok).to.equal(true);
  });

  it('affinity needs a selected pod on the node, looking in the listed namespaces', () => {
    const s = cluster('n1', 'n2');
    s.setPod(labelled('cache', 'cache', { nodeName: 'n2', namespace: 'infra' }));
    const sameNs = podInfo(labelled('web', 'web', { affinity: near('cache') }));
    const listed = podInfo(labelled('web', 'web', { affinity: near('cache', { namespaces: ['infra'] }) }));
    expect(podAffinityMatches(sameNs, s.node('n2') as NodeInfo, s)).to.deep.equal({ ok: false, reasons: ["node(s) didn't match pod affinity rules"] });
    expect(podAffinityMatches(listed, s.node('n1') as NodeInfo, s).ok).to.equal(false);
    expect(podAffinityMatches(listed, s.node('n2') as NodeInfo, s).ok).to.equal(true);
  });

  it('lets the first pod of a group that selects itself start anywhere', () => {
    const s = cluster('n1');
    expect(podAffinityMatches(podInfo(labelled('web-1', 'web', { affinity: near('web') })), s.node('n1') as NodeInfo, s).ok).to.equal(true);
    expect(podAffinityMatches(podInfo(labelled('api-1', 'api', { affinity: near('web') })), s.node('n1') as NodeInfo, s).ok).to.equal(false);
  });

  it("honours a placed pod's anti-affinity against the pod being scheduled", () => {
    const s = cluster('n1', 'n2');
    s.setPod(labelled('loner', 'loner', { nodeName: 'n1', affinity: avoid('web') }));
    const p = podInfo(labelled('web-1', 'web'));
    expect(existingAntiAffinityRespected(p, s.node('n1') as NodeInfo, s)).to.deep.equal({ ok: false, reasons: ["node(s) didn't satisfy existing pods anti-affinity rules"] });
    expect(existingAntiAffinityRespected(p, s.node('n2') as NodeInfo, s).ok).to.equal(true);
    s.removePod('default/loner');
    expect(existingAntiAffinityRespected(p, s.node('n1') as NodeInfo, s).ok).to.equal(true);
  });

  it('scores preferred terms by weight per selected pod, anti-affinity negatively', () => {
    const s = cluster('n1', 'n2');
    s.setPod(labelled('db-1', 'db', { nodeName: 'n1' }));
    s.setPod(labelled('db-2', 'db', { nodeName: 'n1' }));
    s.setPod(labelled('cache', 'cache', { nodeName: 'n2' }));
    const p = podInfo(
      labelled('web', 'web', {
        affinity: {
          podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: onHost('cache') }] },
          podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: onHost('db') }] },
        },
      }),
    );
    expect(preferPodAffinity(p, s.node('n1') as NodeInfo, s)).to.equal(-10);
    expect(preferPodAffinity(p, s.node('n2') as NodeInfo, s)).to.equal(10);
  });
});

describe('pod anti-affinity in planning', () => {
  it('spreads 3 replicas over 3 nodes and leaves a 4th unschedulable, saying why', () => {
    const s = cluster('n1', 'n2', 'n3');
    const plan = new Planner(s).plan(['a', 'b', 'c', 'd'].map((n) => podInfo(labelled(`web-${n}`, 'web', { affinity: avoid('web') }))));
    expect(new Set(plan.bindings.map((b) => b.nodeName))).to.deep.equal(new Set(['n1', 'n2', 'n3']));
    expect(plan.unschedulable.map((u) => [u.pod.pod.metadata.name, u.message])).to.deep.equal([
      ['web-d', "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."],
    ]);
  });

  it('treats a node without the topology label as its own: anti-affinity passes, affinity fails', () => {
    const s = new ClusterSnapshot();
    s.setNode(node('bare'));
    s.setPod(labelled('web-1', 'web', { nodeName: 'bare' }));
    const planner = new Planner(s);
    expect(planner.schedule(podInfo(labelled('web-2', 'web', { affinity: avoid('web') })))).to.deep.equal({ kind: 'scheduled', nodeName: 'bare' });
    expect(planner.schedule(podInfo(labelled('api', 'api', { affinity: near('web') })))).to.include({ kind: 'unschedulable' });
  });
});
