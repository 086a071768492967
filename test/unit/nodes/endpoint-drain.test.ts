import { expect } from 'chai';
import { drainVerdict, podRefKey, slicePods } from '../../../control-plane/nodes/endpoint-drain.js';
import { finishRefusal } from '../../../control-plane/nodes/pod-termination.js';
import type { EndpointSlice } from '../../../proto/objects/discovery.js';
import type { Pod } from '../../../proto/objects/pod.js';

const reported = (map: Record<string, number>) => (node: string) => map[node];

describe('drain before kill (drainVerdict)', () => {
  it('waits while a slice still lists the pod as serving, naming the slice', () => {
    const verdict = drainVerdict({ servingIn: ['default/web-abcde'], changedAt: 10, readyNodes: ['a'], reported: reported({ a: 50 }) });
    expect(verdict).to.deep.equal({ drained: false, waitingFor: 'EndpointSlice default/web-abcde still lists the pod as serving' });
  });

  it('is drained at once when no slice ever referenced the pod', () => {
    expect(drainVerdict({ servingIn: [], changedAt: undefined, readyNodes: ['a', 'b'], reported: reported({}) })).to.deep.equal({ drained: true });
  });

  it('waits for every Ready node to report a sync at or past the slice change, naming the nodes behind', () => {
    const facts = { servingIn: [], changedAt: 40, readyNodes: ['c', 'a', 'b'] };
    expect(drainVerdict({ ...facts, reported: reported({ a: 40, b: 39 }) })).to.deep.equal({
      drained: false,
      waitingFor: 'the service proxy of node b, c has not yet synced EndpointSlice revision 40',
    });
    expect(drainVerdict({ ...facts, reported: reported({ a: 40, b: 41, c: 100 }) })).to.deep.equal({ drained: true });
  });

  it('does not wait for a node that is not Ready', () => {
    expect(drainVerdict({ servingIn: [], changedAt: 40, readyNodes: ['a'], reported: reported({ a: 45, down: 1 }) })).to.deep.equal({ drained: true });
  });

  it('reads the pods of a slice by uid, serving as the endpoint says (absent conditions: serving)', () => {
    const slice: EndpointSlice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-x', namespace: 'shop' },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.244.0.2'], conditions: { ready: false, serving: false, terminating: true }, targetRef: { kind: 'Pod', name: 'web-1', uid: 'u1' } },
        { addresses: ['10.244.0.3'], targetRef: { kind: 'Pod', name: 'web-2' } },
        { addresses: ['10.0.0.9'] },
      ],
    };
    expect(slicePods(slice)).to.deep.equal([
      { pod: 'u1', serving: false },
      { pod: 'shop/web-2', serving: true },
    ]);
    expect(podRefKey({ namespace: 'shop', name: 'web-2' })).to.equal('shop/web-2');
  });
});

describe('FinishPodTermination checks (finishRefusal)', () => {
  const terminating: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', uid: 'u1', deletionTimestamp: '2026-12-07T12:00:30Z', deletionGracePeriodSeconds: 30 },
    spec: { nodeName: 'node-1', containers: [] },
  };
  const request = { nodeName: 'node-1', namespace: 'default', name: 'web-1', uid: 'u1' };

  it('lets the pod\'s own node finish this instance of a terminating pod', () => {
    expect(finishRefusal(terminating, request)).to.equal(undefined);
  });

  it('refuses another node, another instance, and a pod that is not terminating, saying which', () => {
    expect(finishRefusal(terminating, { ...request, nodeName: 'node-2' })).to.equal('pod default/web-1 is not bound to node node-2');
    expect(finishRefusal(terminating, { ...request, uid: 'u0' })).to.equal('pod default/web-1 is another instance now (uid u1, not u0)');
    const running: Pod = { ...terminating, metadata: { name: 'web-1', namespace: 'default', uid: 'u1' } };
    expect(finishRefusal(running, request)).to.match(/is not being deleted \(no deletionTimestamp\)/);
  });
});
