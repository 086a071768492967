import { expect } from 'chai';
import { CniPluginError, parseCniResult, pluginFailure, podIPOf } from '../../../node-agent/network/cni-result.js';

/** What Debian's bridge plugin prints for an ADD (1.0.0). */
const bridgeOutput = `{
    "cniVersion": "1.0.0",
    "interfaces": [
        { "name": "berth0", "mac": "26:59:8e:17:0e:5f" },
        { "name": "veth584f0a84", "mac": "d2:c2:bd:6e:c3:20" },
        { "name": "eth0", "mac": "2e:ea:64:07:67:d3", "sandbox": "/var/run/netns/berth-0123456789ab" }
    ],
    "ips": [ { "interface": 2, "address": "10.244.7.2/24", "gateway": "10.244.7.1" } ],
    "routes": [ { "dst": "0.0.0.0/0" } ],
    "dns": {}
}`;

const outcome = (over: Partial<Parameters<typeof pluginFailure>[2]>) => ({ exitCode: 1, signal: null, stdout: '', stderr: '', timedOut: false, ...over });

describe('CNI results and errors', () => {
  it('reads an ADD result and finds the pod\'s address on its interface in the pod\'s namespace', () => {
    const result = parseCniResult(bridgeOutput, 'bridge');
    expect(result.ips?.[0]?.address).to.equal('10.244.7.2/24');
    expect(podIPOf(result, 'eth0')).to.equal('10.244.7.2');
  });

  it('prefers the sandbox interface\'s IPv4 address over others, and skips IPv6', () => {
    const result = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'berth0' }, { name: 'eth0', sandbox: '/var/run/netns/x' }],
      ips: [
        { address: '10.244.7.1/24', interface: 0 },
        { address: 'fd00::5/64', interface: 1 },
        { address: '10.244.7.5/24', interface: 1 },
      ],
    };
    expect(podIPOf(result, 'eth0')).to.equal('10.244.7.5');
    expect(podIPOf({ cniVersion: '1.0.0', ips: [{ address: '10.1.0.9/16' }] }, 'eth0')).to.equal('10.1.0.9');
    expect(podIPOf({ cniVersion: '1.0.0' }, 'eth0')).to.equal(undefined);
  });

  it('refuses output that is no CNI result, naming the plugin and what is wrong', () => {
    expect(() => parseCniResult('not json', 'bridge')).to.throw('CNI plugin bridge printed no JSON result');
    expect(() => parseCniResult('{"ips":[]}', 'bridge')).to.throw('cniVersion missing');
    expect(() => parseCniResult('{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1"}]}', 'bridge')).to.throw('ips[0].address is not an address in CIDR form');
    expect(() => parseCniResult('{"cniVersion":"1.0.0","interfaces":[],"ips":[{"address":"10.0.0.1/8","interface":3}]}', 'bridge')).to.throw('ips[0].interface 3 names no interface');
    expect(() => parseCniResult('{"cniVersion":"1.0.0","interfaces":[{}]}', 'portmap')).to.throw('CNI plugin portmap printed an invalid result (interfaces[0] has no name)');
  });

  it('turns a failed run into an error with the plugin, the command and the CNI error\'s message and details', () => {
    const err = pluginFailure('bridge', 'ADD', outcome({ stdout: '{"cniVersion":"1.0.0","code":11,"msg":"failed to allocate","details":"range full"}' }));
    expect(err).to.be.instanceOf(CniPluginError);
    expect(err.message).to.equal('CNI plugin bridge ADD failed (CNI error 11): failed to allocate (range full)');
    expect(err.code).to.equal(11);
  });

  it('falls back to stderr, then to the exit status, and says when a plugin timed out', () => {
    expect(pluginFailure('bridge', 'DEL', outcome({ stderr: 'panic: boom\n' })).message).to.equal('CNI plugin bridge DEL failed: panic: boom (exit status 1)');
    expect(pluginFailure('bridge', 'DEL', outcome({ exitCode: null, signal: 9 })).message).to.equal('CNI plugin bridge DEL failed: killed by signal 9');
    expect(pluginFailure('bridge', 'ADD', outcome({ timedOut: true, exitCode: null, signal: 9 })).message).to.equal('CNI plugin bridge ADD failed: timed out');
  });
});
