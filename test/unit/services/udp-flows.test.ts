import { expect } from 'chai';
import { staleFlows, udpFrontends } from '../../../node-agent/services/udp-flows.js';
import { service, slice } from '../../support/service-objects.js';

describe('stale UDP conntrack entries', () => {
  const dns = (type: 'ClusterIP' | 'NodePort' = 'ClusterIP') =>
    service('dns', { type, clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP', ...(type === 'NodePort' ? { nodePort: 30053 } : {}) }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] });
  const eps = (...ips: string[]) => [slice('dns', 'dns-1', [{ name: 'dns', protocol: 'UDP', port: 5353 }, { name: 'dns-tcp', port: 5353 }], ips.map((ip) => ({ ip })))];

  it('lists the UDP frontends of a Service (ClusterIP, NodePort) with their backends; TCP ports are not concerned', () => {
    expect(udpFrontends(dns('NodePort'), eps('10.244.1.2'))).to.deep.equal([
      { ip: '10.96.0.10', port: 53, backends: ['10.244.1.2'] },
      { port: 30053, backends: ['10.244.1.2'] },
    ]);
  });

  it('deletes the entries translated to an endpoint that went, on every frontend', () => {
    const before = udpFrontends(dns('NodePort'), eps('10.244.1.2', '10.244.1.3'));
    const after = udpFrontends(dns('NodePort'), eps('10.244.1.3'));
    expect(staleFlows(before, after)).to.deep.equal([
      { dst: '10.96.0.10', port: 53, dnat: '10.244.1.2' },
      { port: 30053, dnat: '10.244.1.2' },
    ]);
    expect(staleFlows(after, after)).to.deep.equal([]);
  });

  it('deletes the untranslated entries of a frontend that gets its first endpoint, and all of a deleted Service\'s', () => {
    const empty = udpFrontends(dns(), eps());
    const one = udpFrontends(dns(), eps('10.244.1.2'));
    expect(staleFlows(empty, one)).to.deep.equal([{ dst: '10.96.0.10', port: 53 }]);
    expect(staleFlows(one, udpFrontends(undefined, []))).to.deep.equal([{ dst: '10.96.0.10', port: 53, dnat: '10.244.1.2' }]);
  });
});
