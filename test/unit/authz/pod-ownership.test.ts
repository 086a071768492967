import { expect } from 'chai';
import { StoredPodLookup, podOwnership, podRef } from '../../../control-plane/authz/pod-ownership.js';
import type { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { Pod } from '../../../proto/objects/pod.js';

function pod(name: string, nodeName: string, uid: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid }, spec: { containers: [], nodeName } };
}

/** A store whose getMany answers from `etcd` and records the names it was asked for. */
function fakeStore(etcd: Pod[]): { store: Pick<ObjectStore, 'getMany'>; reads: string[][] } {
  const reads: string[][] = [];
  return {
    reads,
    store: {
      getMany: async (refs) => {
        reads.push(refs.map((r) => r.name));
        return refs.map((r) => etcd.find((p) => p.metadata.name === r.name));
      },
    },
  };
}

describe('which pods are a node\'s own (podOwnership, StoredPodLookup)', () => {
  it('calls a pod own when this instance is bound to the node, gone when absent or another instance, foreign otherwise', () => {
    expect(podOwnership(pod('w', 'a', 'u1'), podRef('', 'w', 'u1'), 'a')).to.equal('own');
    expect(podOwnership(pod('w', 'b', 'u1'), podRef('default', 'w', 'u1'), 'a')).to.equal('foreign');
    expect(podOwnership(pod('w', 'b', 'u2'), podRef('default', 'w', 'u1'), 'a')).to.equal('gone');
    expect(podOwnership(undefined, podRef('default', 'w', 'u1'), 'a')).to.equal('gone');
    expect(podOwnership(pod('w', 'b', 'u2'), podRef('default', 'w', ''), 'a')).to.equal('foreign');
  });

  it('trusts the cache only when it shows the same instance bound to the node, and reads every other pod from etcd in one round trip', async () => {
    const cache = [pod('mine', 'a', 'u-mine'), pod('moved', 'b', 'u-moved-cached'), pod('no-uid', 'a', 'u-no-uid')];
    const etcd = [pod('mine', 'a', 'u-mine'), pod('moved', 'a', 'u-moved'), pod('new', 'a', 'u-new'), pod('no-uid', 'b', 'u-other')];
    const { store, reads } = fakeStore(etcd);
    const lookup = new StoredPodLookup(store, (key) => cache.find((p) => `default/${p.metadata.name}` === key));
    const refs = [podRef('default', 'mine', 'u-mine'), podRef('default', 'moved', 'u-moved'), podRef('default', 'new', 'u-new'), podRef('default', 'gone', 'u-gone'), podRef('default', 'no-uid', '')];
    const stored = await lookup.podsFor('a', refs);
    expect(stored.map((p, i) => podOwnership(p, refs[i]!, 'a'))).to.deep.equal(['own', 'own', 'own', 'gone', 'foreign']);
    expect(reads).to.deep.equal([['moved', 'new', 'gone', 'no-uid']]);
  });
});
