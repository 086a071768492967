import { expect } from 'chai';
import { loadBalancerIngress } from '../../../control-plane/controllers/loadbalancer-controller.js';
import type { Node } from '../../../proto/objects/cluster.js';

function node(name: string, ip: string | undefined, ready: boolean): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'Unknown' }], ...(ip ? { addresses: [{ type: 'InternalIP', address: ip }] } : {}) },
  };
}

describe('load balancer ingress', () => {
  it('lists every Ready node InternalIP once, in address order, as k3s reports them', () => {
    const nodes = [node('c', '10.213.0.10', true), node('a', '10.213.0.9', true), node('lost', '10.213.0.4', false), node('new', undefined, true), node('twin', '10.213.0.9', true)];
    expect(loadBalancerIngress(nodes)).to.deep.equal([{ ip: '10.213.0.9' }, { ip: '10.213.0.10' }]);
    expect(loadBalancerIngress([])).to.deep.equal([]);
  });
});
