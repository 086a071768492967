import { expect } from 'chai';
import { masqueradeRuleset, NAT_TABLE } from '../../../node-agent/network/masquerade.js';

describe('masquerade ruleset', () => {
  it('replaces only Berth\'s own table, masquerading the node\'s pods towards anything outside the cluster and service CIDRs', () => {
    const script = masqueradeRuleset({ podCIDR: '10.244.2.0/24', clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16' });
    expect(NAT_TABLE).to.equal('berth-nat');
    expect(script.split('\n')).to.deep.equal([
      'add table ip berth-nat',
      'delete table ip berth-nat',
      'table ip berth-nat {',
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      '    ip saddr 10.244.2.0/24 ip daddr != { 10.244.0.0/16, 10.96.0.0/16 } masquerade',
      '  }',
      '}',
      '',
    ]);
  });

  it('refuses a CIDR that is none, naming which', () => {
    expect(() => masqueradeRuleset({ podCIDR: '10.244.2.0/24', clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.1/16' })).to.throw("masquerade: serviceCIDR '10.96.0.1/16' has host bits set");
  });
});
