import { expect } from 'chai';
import type { Pod } from '../../../proto/objects/pod.js';
import { podNetworkConfig, portMappingsOf } from '../../../node-agent/network/cni-config.js';
import { cidrContains, gatewayOf, parseCidr } from '../../../node-agent/network/ipv4.js';

const settings = { podCIDR: '10.244.3.0/24', bridge: 'berth0', ipamDataDir: '/var/lib/agent-a/network/ipam' };

describe('CNI network configuration', () => {
  it('is one bridge plugin with host-local IPAM on the node\'s pod CIDR, the gateway its first address', () => {
    const config = podNetworkConfig(settings);
    expect(config).to.deep.equal({
      cniVersion: '1.0.0',
      name: 'berth',
      plugins: [
        {
          type: 'bridge',
          bridge: 'berth0',
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: '10.244.3.0/24', gateway: '10.244.3.1' }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: '/var/lib/agent-a/network/ipam',
          },
        },
      ],
    });
  });

  it('adds portmap, taking port mappings as a capability, only for a pod with host ports', () => {
    const config = podNetworkConfig(settings, [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    expect(config.plugins.map((p) => p.type)).to.deep.equal(['bridge', 'portmap']);
    expect(config.plugins[1]).to.deep.include({ capabilities: { portMappings: true } });
    expect(podNetworkConfig(settings, []).plugins.map((p) => p.type)).to.deep.equal(['bridge']);
  });

  it('refuses a pod CIDR that is no network, naming it', () => {
    expect(() => podNetworkConfig({ ...settings, podCIDR: '10.244.3.7/24' })).to.throw("'10.244.3.7/24' has host bits set; the network is 10.244.3.0/24");
    expect(() => podNetworkConfig({ ...settings, podCIDR: 'ten/24' })).to.throw("'ten' is not an IPv4 address");
    expect(() => podNetworkConfig({ ...settings, podCIDR: '10.244.3.0' })).to.throw("'10.244.3.0' is not an IPv4 CIDR");
    expect(() => podNetworkConfig({ ...settings, podCIDR: '10.244.3.0/31' })).to.throw('too small');
  });

  it('lists the host ports of every container, protocols in CNI\'s lower case, and no others', () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          { name: 'web', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 9090 }] },
          { name: 'dns', image: 'x', ports: [{ containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '10.213.0.11' }] },
        ],
      },
    };
    expect(portMappingsOf(pod)).to.deep.equal([
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '10.213.0.11' },
    ]);
  });

  it('does IPv4 CIDR arithmetic', () => {
    expect(parseCidr('10.244.0.0/16')).to.deep.equal({ base: (10 * 256 + 244) * 65536, prefix: 16 });
    expect(gatewayOf('10.244.255.0/24')).to.equal('10.244.255.1');
    expect(cidrContains('10.244.0.0/16', '10.244.7.9')).to.equal(true);
    expect(cidrContains('10.244.0.0/16', '10.245.0.1')).to.equal(false);
    expect(cidrContains('0.0.0.0/0', '192.168.1.1')).to.equal(true);
  });
});
