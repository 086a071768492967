/**
 * The CNI pod network against Debian's real plugins (/usr/lib/cni), in a node network namespace
 * the test makes: the plugins run inside it (as the agent runs inside its node's), so the bridge
 * and veths are made there and nothing of the host's network is touched.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CniPodNetwork } from '../../../node-agent/network/cni-pod-network.js';
import { agentRunner, inNetns } from '../../../node-agent/network/commands.js';
import { podNetnsPath, type PodNetworkRequest } from '../../../node-agent/network/pod-network.js';
import { silentLogger } from '../../support/logger.js';
import { TestNetns } from '../../support/test-netns.js';

const execFileAsync = promisify(execFile);
const POD_CIDR = '10.244.5.0/24';
const GATEWAY = '10.244.5.1';

describe('CNI pod network with the real plugins', function () {
  this.timeout(60_000);
  let netns: TestNetns;
  let node: string;
  let stateDir: string;
  const networks: CniPodNetwork[] = [];

  /** A pod network as an agent over `stateDir` has it (a second one is a restarted agent). */
  const agentNetwork = (bridge?: string): CniPodNetwork => {
    const network = new CniPodNetwork({ stateDir, run: inNetns(agentRunner, node), logger: silentLogger(), ...(bridge ? { bridge } : {}) });
    network.configure(POD_CIDR);
    networks.push(network);
    return network;
  };
  const pod = (name: string, portMappings: PodNetworkRequest['portMappings'] = []): PodNetworkRequest => ({ uid: netns.pod(randomUUID()), namespace: 'default', name, portMappings });
  /** The addresses host-local holds (one file per address under its data directory). */
  const leases = (): string[] => {
    const dir = join(stateDir, 'ipam', 'berth');
    return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).sort() : [];
  };
  const records = (): string[] => readdirSync(join(stateDir, 'pods')).sort();
  const podAddress = async (uid: string): Promise<string | undefined> => {
    const links = JSON.parse(await netns.sh(podNetnsPath(uid), 'ip', ['-j', '-4', 'addr', 'show', 'dev', 'eth0']).catch(() => '[]')) as Array<{ addr_info: Array<{ local: string }> }>;
    return links[0]?.addr_info[0]?.local;
  };
  const veths = async (): Promise<string[]> =>
    (JSON.parse(await netns.sh(node, 'ip', ['-j', 'link', 'show', 'type', 'veth'])) as Array<{ ifname: string }>).map((l) => l.ifname);
  const ping = (from: string, to: string): Promise<boolean> => netns.succeeds(from, 'busybox', ['ping', '-c1', '-W2', to]);

  beforeEach(async () => {
    netns = new TestNetns();
    node = await netns.make('node');
    stateDir = mkdtempSync(join(tmpdir(), 'berth-cni-test-'));
  });

  afterEach(async () => {
    for (const network of networks.splice(0)) await network.removeOthers(new Set()).catch(() => undefined);
    await netns.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('attaches each pod to the node\'s bridge with its own address: pods reach each other and the node, the gateway is on the bridge, hairpin is on', async () => {
    const network = agentNetwork();
    const a = pod('a');
    const b = pod('b');
    const [atA, atB] = await Promise.all([network.setUp(a), network.setUp(b)]);
    expect(atA.netnsPath).to.equal(podNetnsPath(a.uid));
    expect([atA.podIP, atB.podIP].sort()).to.deep.equal(leases());
    expect(atA.podIP).to.match(/^10\.244\.5\.\d+$/).and.not.equal(GATEWAY).and.not.equal(atB.podIP);
    expect(await podAddress(a.uid)).to.equal(atA.podIP);
    expect(await netns.sh(podNetnsPath(a.uid), 'ip', ['route', 'show', 'default'])).to.contain(`via ${GATEWAY} dev eth0`);
    expect(await netns.sh(node, 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'berth0'])).to.contain(`${GATEWAY}/24`);
    const ports = JSON.parse(await netns.sh(node, 'ip', ['-j', '-d', 'link', 'show', 'master', 'berth0'])) as Array<{ linkinfo?: { info_slave_data?: { hairpin?: boolean } } }>;
    expect(ports.map((p) => p.linkinfo?.info_slave_data?.hairpin)).to.deep.equal([true, true]);
    expect(await ping(podNetnsPath(a.uid), atB.podIP!)).to.equal(true);
    expect(await ping(node, atA.podIP!)).to.equal(true);
    expect(records()).to.deep.equal([`${a.uid}.json`, `${b.uid}.json`].sort());
  });

  it('a restarted agent keeps every pod\'s address (CHECK passes, nothing is added again)', async () => {
    const a = pod('a');
    const before = await agentNetwork().setUp(a);
    const again = await agentNetwork().setUp(a);
    expect(again).to.deep.equal(before);
    expect(leases()).to.deep.equal([before.podIP]);
    expect(await veths()).to.have.length(1);
  });

  it('a restarted agent whose CHECK fails (the pod\'s interface is gone) attaches the pod again, releasing the old address', async () => {
    const a = pod('a');
    const b = pod('b');
    const first = agentNetwork();
    const atB = await first.setUp(b);
    await first.setUp(a);
    await netns.sh(podNetnsPath(a.uid), 'ip', ['link', 'del', 'eth0']);
    const repaired = await agentNetwork().setUp(a);
    expect(repaired.podIP).to.match(/^10\.244\.5\.\d+$/);
    expect(await podAddress(a.uid)).to.equal(repaired.podIP);
    expect(leases()).to.deep.equal([atB.podIP, repaired.podIP].sort());
    expect(await ping(podNetnsPath(a.uid), atB.podIP!)).to.equal(true);
  });

  it('tearDown releases the address and deletes the veth, the namespace and the record; again is fine', async () => {
    const network = agentNetwork();
    const a = pod('a');
    const b = pod('b');
    const atA = await network.setUp(a);
    const atB = await network.setUp(b);
    expect(await veths()).to.have.length(2);
    await network.tearDown(a.uid);
    expect(leases()).to.deep.equal([atB.podIP]);
    expect(await veths()).to.have.length(1);
    expect(existsSync(atA.netnsPath)).to.equal(false);
    expect(records()).to.deep.equal([`${b.uid}.json`]);
    await network.tearDown(a.uid);
    await agentNetwork().tearDown(b.uid); // as a restarted agent
    expect(leases()).to.deep.equal([]);
    expect(await veths()).to.deep.equal([]);
    expect(records()).to.deep.equal([]);
  });

  it('tearDown of a pod whose namespace file is no namespace any more (a crash) still releases its address', async () => {
    const network = agentNetwork();
    const a = pod('a');
    const attached = await network.setUp(a);
    await execFileAsync('umount', [attached.netnsPath]); // the bind goes, the file stays: as a crash mid-creation leaves it
    await network.tearDown(a.uid);
    expect(leases()).to.deep.equal([]);
    expect(records()).to.deep.equal([]);
    expect(existsSync(attached.netnsPath)).to.equal(false);
  });

  it('a pod namespace whose ADD never got recorded (agent stopped in between) is detached and attached again', async () => {
    const a = pod('a');
    const network = agentNetwork();
    const first = await network.setUp(a);
    rmSync(join(stateDir, 'pods', `${a.uid}.json`)); // as if the agent had stopped right after the ADD
    const again = await agentNetwork().setUp(a);
    expect(leases()).to.deep.equal([again.podIP]);
    expect(await podAddress(a.uid)).to.equal(again.podIP);
    expect(first.podIP).to.match(/^10\.244\.5\.\d+$/);
  });

  it('an ADD that fails leaves no address held and no record, and says which plugin failed and why', async () => {
    await netns.sh(node, 'ip', ['link', 'add', 'bntfail0', 'type', 'veth', 'peer', 'name', 'bntfail1']);
    const network = agentNetwork('bntfail0');
    const a = pod('a');
    let error: Error | undefined;
    await network.setUp(a).catch((err: Error) => (error = err));
    expect(error?.message).to.match(/^CNI plugin bridge ADD failed \(CNI error \d+\): .*bntfail0/);
    expect(leases()).to.deep.equal([]);
    expect(records()).to.deep.equal([]);
    await network.tearDown(a.uid);
    expect(existsSync(podNetnsPath(a.uid))).to.equal(false);
  });

  it('at start, pods the agent no longer has are detached; the others are left alone', async () => {
    const a = pod('a');
    const b = pod('b');
    const first = agentNetwork();
    await first.setUp(a);
    const atB = await first.setUp(b);
    await agentNetwork().removeOthers(new Set([b.uid]));
    expect(leases()).to.deep.equal([atB.podIP]);
    expect(records()).to.deep.equal([`${b.uid}.json`]);
    expect(existsSync(podNetnsPath(a.uid))).to.equal(false);
    expect(await podAddress(b.uid)).to.equal(atB.podIP);
  });

  it('a pod with a host port answers on the node at that port (portmap), and the mapping goes with the pod', async () => {
    const network = agentNetwork();
    const web = pod('web', [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    const attached = await network.setUp(web);
    const docroot = mkdtempSync(join(tmpdir(), 'berth-cni-web-'));
    try {
      await netns.sh(node, 'sh', ['-c', `echo hello from the pod > ${docroot}/index.html`]);
      netns.background(attached.netnsPath, 'busybox', ['httpd', '-f', '-p', '80', '-h', docroot]);
      const fetch = () => netns.sh(node, 'timeout', ['5', 'busybox', 'wget', '-qO-', `http://${GATEWAY}:8080/`]);
      let body = '';
      for (let attempt = 0; attempt < 50 && body === ''; attempt++) body = await fetch().catch(async () => (await new Promise((r) => setTimeout(r, 100)), ''));
      expect(body.trim()).to.equal('hello from the pod');
      expect(await netns.sh(node, 'iptables', ['-t', 'nat', '-S'])).to.contain('--dport 8080');
      await network.tearDown(web.uid);
      expect(await netns.sh(node, 'iptables', ['-t', 'nat', '-S'])).to.not.contain('--dport 8080');
    } finally {
      rmSync(docroot, { recursive: true, force: true });
    }
  });
});
