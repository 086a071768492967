import { expect } from 'chai';
import type { CommandOutcome } from '../../../node-agent/native/index.js';
import type { CommandRunner } from '../../../node-agent/network/commands.js';
import { CniPluginChain, pluginInput } from '../../../node-agent/network/cni-plugins.js';
import type { CniNetworkConfigList, CniResult } from '../../../node-agent/network/cni-types.js';

interface Call {
  file: string;
  env: Record<string, string>;
  input: Record<string, unknown>;
}

const ok = (stdout = ''): CommandOutcome => ({ exitCode: 0, signal: null, stdout, stderr: '', timedOut: false, overflowed: false });
const failed = (msg: string): CommandOutcome => ({ exitCode: 1, signal: null, stdout: JSON.stringify({ cniVersion: '1.0.0', code: 7, msg }), stderr: '', timedOut: false, overflowed: false });

/** A runner that records every plugin run and answers from `answer` (by plugin binary and command). */
function fakeRunner(answer: (plugin: string, command: string, input: Record<string, unknown>) => CommandOutcome): { run: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  const run: CommandRunner = async (file, _args, options) => {
    const env = { ...(options?.env ?? {}) };
    const input = JSON.parse(options?.input ?? '{}') as Record<string, unknown>;
    calls.push({ file, env, input });
    return answer(file.split('/').pop() ?? '', env.CNI_COMMAND ?? '', input);
  };
  return { run, calls };
}

const list: CniNetworkConfigList = {
  cniVersion: '1.0.0',
  name: 'berth',
  plugins: [
    { type: 'bridge', bridge: 'berth0' },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
};
const attachment = { containerId: 'uid-1', ifName: 'eth0', netns: '/var/run/netns/berth-uid1' };
const bridgeResult: CniResult = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: attachment.netns }], ips: [{ address: '10.244.0.2/24', interface: 0 }] };
const portMappings = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' as const }];

describe('CNI plugin chain (the runtime side of the CNI specification)', () => {
  it('ADD runs the plugins in order from the plugin directory, each with the CNI_* variables and the result before it', async () => {
    const { run, calls } = fakeRunner((plugin, _command, input) => ok(JSON.stringify(plugin === 'bridge' ? bridgeResult : input.prevResult)));
    const result = await new CniPluginChain(run, '/opt/cni').add(list, attachment, { portMappings });
    expect(result).to.deep.equal(bridgeResult);
    expect(calls.map((c) => c.file)).to.deep.equal(['/opt/cni/bridge', '/opt/cni/portmap']);
    expect(calls[0]!.env).to.deep.equal({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'uid-1', CNI_NETNS: attachment.netns, CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni', CNI_ARGS: '' });
    expect(calls[0]!.input).to.deep.equal({ type: 'bridge', bridge: 'berth0', cniVersion: '1.0.0', name: 'berth' });
    expect(calls[1]!.input).to.deep.equal({ type: 'portmap', capabilities: { portMappings: true }, cniVersion: '1.0.0', name: 'berth', runtimeConfig: { portMappings }, prevResult: bridgeResult });
  });

  it('gives runtimeConfig only to plugins that declare the capability, and only what the runtime has', () => {
    expect(pluginInput(list, list.plugins[0]!, undefined, { portMappings })).to.not.have.property('runtimeConfig');
    expect(pluginInput(list, list.plugins[1]!, undefined, {})).to.not.have.property('runtimeConfig');
  });

  it('a failed ADD deletes the whole list, in reverse, and reports the plugin\'s error', async () => {
    const { run, calls } = fakeRunner((plugin, command) => (command === 'ADD' && plugin === 'portmap' ? failed('iptables is missing') : ok(command === 'ADD' ? JSON.stringify(bridgeResult) : '')));
    let error: Error | undefined;
    await new CniPluginChain(run).add(list, attachment, { portMappings }).catch((err: Error) => (error = err));
    expect(error?.message).to.equal('CNI plugin portmap ADD failed (CNI error 7): iptables is missing');
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.file.split('/').pop()}`)).to.deep.equal(['ADD bridge', 'ADD portmap', 'DEL portmap', 'DEL bridge']);
  });

  it('CHECK runs every plugin in order with the ADD result as prevResult', async () => {
    const { run, calls } = fakeRunner(() => ok());
    await new CniPluginChain(run).check(list, attachment, bridgeResult, { portMappings });
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.file.split('/').pop()}`)).to.deep.equal(['CHECK bridge', 'CHECK portmap']);
    for (const c of calls) expect(c.input.prevResult).to.deep.equal(bridgeResult);
  });

  it('DEL runs every plugin in reverse even when one fails, then reports the first failure', async () => {
    const { run, calls } = fakeRunner((plugin) => (plugin === 'portmap' ? failed('chain busy') : ok()));
    let error: Error | undefined;
    await new CniPluginChain(run).del(list, { ...attachment, netns: '' }, undefined).catch((err: Error) => (error = err));
    expect(error?.message).to.contain('CNI plugin portmap DEL failed');
    expect(calls.map((c) => c.file.split('/').pop())).to.deep.equal(['portmap', 'bridge']);
    expect(calls[1]!.env.CNI_NETNS).to.equal('');
    expect(calls[1]!.input).to.not.have.property('prevResult');
  });

  it('refuses a plugin type that is no plugin name, running nothing', async () => {
    const { run, calls } = fakeRunner(() => ok());
    const bad: CniNetworkConfigList = { ...list, plugins: [{ type: '../../bin/sh' }] };
    let error: Error | undefined;
    await new CniPluginChain(run).check(bad, attachment, bridgeResult).catch((err: Error) => (error = err));
    expect(error?.message).to.equal('CNI network berth: plugin type "../../bin/sh" is not a plugin name');
    expect(calls).to.have.length(0);
  });

  it('says how to get the plugins when one cannot be started', async () => {
    const run: CommandRunner = () => Promise.reject(Object.assign(new Error('ENOENT: posix_spawn'), { code: 'ENOENT' }));
    let error: Error | undefined;
    await new CniPluginChain(run, '/nowhere').check(list, attachment, bridgeResult).catch((err: Error) => (error = err));
    expect(error?.message).to.equal("CNI plugin /nowhere/bridge could not be run (ENOENT: posix_spawn): install Debian's containernetworking-plugins, or point --cni-bin-dir at the plugins");
  });
});
