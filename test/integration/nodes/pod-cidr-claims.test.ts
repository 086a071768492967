import { expect } from 'chai';
import { ObjectService } from '../../../control-plane/api/object-service.js';
import { ConflictError, NotFoundError } from '../../../control-plane/errors.js';
import { NodeRegistration } from '../../../control-plane/nodes/node-registration.js';
import type { ObjectStore } from '../../../control-plane/store/object-store.js';
import { cidrOfClaimKey, POD_CIDR_CLAIM_PREFIX, podCidrClaimKey } from '../../../control-plane/store/pod-cidr-claims.js';
import type { Node } from '../../../proto/objects/cluster.js';
import { useEtcdStore } from '../../support/etcd.js';
import { silentLogger } from '../../support/logger.js';

/** What an agent reports at registration (with the pod CIDR it already uses, when it has one). */
function reported(name: string, podCIDR?: string): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR ? { podCIDR } : {}, status: { addresses: [{ type: 'InternalIP', address: '10.213.0.11' }] } };
}

describe('pod CIDR claims on a real etcd: registration and Node deletion', function () {
  this.timeout(30_000);
  let store: ObjectStore;
  let registration: NodeRegistration;
  let objects: ObjectService;

  useEtcdStore((env) => {
    store = env.store;
    registration = new NodeRegistration(store, silentLogger());
    objects = new ObjectService(store, silentLogger());
  });

  afterEach(async () => {
    for (const node of (await objects.list('nodes', undefined)).items) await objects.delete('nodes', '', node.metadata.name);
  });

  /** The claims in the store, as CIDR → node name. */
  const claims = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const key of await store.keys.listKeys(POD_CIDR_CLAIM_PREFIX)) out[cidrOfClaimKey(key)] = (await store.keys.readValue(key)) ?? '';
    return out;
  };

  it('deleting a Node releases its pod CIDR, which the next new node gets', async () => {
    const a = await registration.register(reported('node-a'));
    const b = await registration.register(reported('node-b'));
    expect(await claims()).to.deep.equal({ [a.podCIDR]: 'node-a', [b.podCIDR]: 'node-b' });
    const deleted = await objects.delete('nodes', '', 'node-a');
    expect(deleted.metadata.name).to.equal('node-a');
    expect(await claims()).to.deep.equal({ [b.podCIDR]: 'node-b' });
    expect((await registration.register(reported('node-c'))).podCIDR).to.equal(a.podCIDR);
  });

  it('a Node registered anew gets back the pod CIDR its agent reports, if it is free', async () => {
    const a = await registration.register(reported('node-a'));
    await objects.delete('nodes', '', 'node-a');
    await registration.register(reported('node-x')); // takes the first free CIDR, which is node-a's old one
    const again = await registration.register(reported('node-a', a.podCIDR));
    expect(again.podCIDR).to.not.equal(a.podCIDR);
    await objects.delete('nodes', '', 'node-x');
    await objects.delete('nodes', '', 'node-a');
    expect((await registration.register(reported('node-a', a.podCIDR))).podCIDR).to.equal(a.podCIDR);
  });

  it('a claim that outlived its Node is taken back by that node, and a reported CIDR outside the cluster CIDR is ignored', async () => {
    await store.transact({ guards: [], writes: [{ key: podCidrClaimKey('10.244.7.0/24'), put: 'node-old' }] });
    const back = await registration.register(reported('node-old', '10.244.7.0/24'));
    expect(back.podCIDR).to.equal('10.244.7.0/24');
    expect(back.node.spec.podCIDRs).to.deep.equal(['10.244.7.0/24']);
    const other = await registration.register(reported('node-other', '192.168.0.0/24'));
    expect(other.podCIDR).to.match(/^10\.244\.\d+\.0\/24$/);
    expect(await claims()).to.deep.equal({ '10.244.7.0/24': 'node-old', [other.podCIDR]: 'node-other' });
  });

  it('a delete whose precondition is stale changes nothing; a Node already gone is NotFound', async () => {
    const a = await registration.register(reported('node-a'));
    let error: unknown;
    await objects.delete('nodes', '', 'node-a', { precondition: '1' }).catch((err: unknown) => (error = err));
    expect(error).to.be.instanceOf(ConflictError);
    expect(await claims()).to.deep.equal({ [a.podCIDR]: 'node-a' });
    await objects.delete('nodes', '', 'node-a', { precondition: a.node.metadata.resourceVersion });
    expect(await claims()).to.deep.equal({});
    error = undefined;
    await objects.delete('nodes', '', 'node-a').catch((err: unknown) => (error = err));
    expect(error).to.be.instanceOf(NotFoundError);
  });

  it('a claim held by another node is left alone when a Node is deleted', async () => {
    const a = await registration.register(reported('node-a'));
    await store.transact({ guards: [], writes: [{ key: podCidrClaimKey(a.podCIDR), put: 'node-b' }] });
    await objects.delete('nodes', '', 'node-a');
    expect(await claims()).to.deep.equal({ [a.podCIDR]: 'node-b' });
    await store.transact({ guards: [], writes: [{ key: podCidrClaimKey(a.podCIDR), delete: true }] });
  });
});
