/**
 * The warm pool of pod sandboxes against Debian's real plugins (/usr/lib/cni), in a node network
 * namespace the test makes (as cni-pod-network.test.ts): sandboxes attached ahead of pods, taken
 * by pods at once, refilled, adopted by a restarted agent, and nothing left behind.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttachmentRecord } from '../../../node-agent/network/attachment-store.js';
import { CniPodNetwork, type CniPodNetworkOptions } from '../../../node-agent/network/cni-pod-network.js';
import { agentRunner, inNetns } from '../../../node-agent/network/commands.js';
import { podNetnsPath, type PodNetworkRequest } from '../../../node-agent/network/pod-network.js';
import { collectingLogger, silentLogger } from '../../support/logger.js';
import { TestNetns } from '../../support/test-netns.js';
import { eventually } from '../../support/wait.js';

const POD_CIDR = '10.244.7.0/24';
const GATEWAY = '10.244.7.1';

describe('pod sandbox pool with the real plugins', function () {
  this.timeout(90_000);
  let netns: TestNetns;
  let node: string;
  let stateDir: string;
  const networks: CniPodNetwork[] = [];

  /** A pod network as an agent over `stateDir` has it (another one is a restarted agent). */
  const agentNetwork = (poolSize: number, more: Partial<CniPodNetworkOptions> = {}): CniPodNetwork => {
    const network = new CniPodNetwork({ stateDir, run: inNetns(agentRunner, node), logger: silentLogger(), poolSize, poolQuietMs: 50, ...more });
    network.configure(POD_CIDR);
    networks.push(network);
    return network;
  };
  const pod = (name: string, portMappings: PodNetworkRequest['portMappings'] = []): PodNetworkRequest => ({ uid: netns.pod(randomUUID()), namespace: 'default', name, portMappings });
  /** The records on disk, by sandbox id. */
  const records = (): Map<string, AttachmentRecord> => {
    const dir = join(stateDir, 'pods');
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.')) : [];
    return new Map(files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as AttachmentRecord).map((r) => [r.sandboxId, r]));
  };
  /** host-local's leases: address → the CNI container id holding it. */
  const leases = (): Record<string, string> => {
    const dir = join(stateDir, 'ipam', 'berth');
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
    return Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f), 'utf8').split(/\r?\n/)[0] ?? '']));
  };
  const veths = async (): Promise<string[]> =>
    (JSON.parse(await netns.sh(node, 'ip', ['-j', 'link', 'show', 'type', 'veth'])) as Array<{ ifname: string }>).map((l) => l.ifname);
  const podAddress = async (netnsPath: string): Promise<string | undefined> => {
    const links = JSON.parse(await netns.sh(netnsPath, 'ip', ['-j', '-4', 'addr', 'show', 'dev', 'eth0']).catch(() => '[]')) as Array<{ addr_info: Array<{ local: string }> }>;
    return links[0]?.addr_info[0]?.local;
  };
  /** full waits until the pool holds `n` ready sandboxes and has nothing left to do. */
  const full = async (network: CniPodNetwork, n: number): Promise<string[]> =>
    eventually(async () => {
      await network.poolSettled();
      expect(network.poolReady()).to.have.length(n);
      return network.poolReady();
    }, 60_000, 50);

  beforeEach(async () => {
    netns = new TestNetns();
    node = await netns.make('node');
    stateDir = mkdtempSync(join(tmpdir(), 'berth-pool-test-'));
  });

  afterEach(async () => {
    for (const network of networks.splice(0)) {
      await network.removeOthers(new Set()).catch(() => undefined);
      await network.removePool().catch(() => undefined);
    }
    // Whatever a failed test left: every recorded sandbox's namespace.
    for (const record of records().values()) rmNetns(record.attachment.netns);
    await netns.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps N sandboxes attached, each under its own sandbox id; a new pod takes one at once, with its IP', async () => {
    const network = agentNetwork(3);
    const ready = await full(network, 3);
    expect([...records().keys()].sort()).to.deep.equal([...ready].sort());
    // CNI_CONTAINERID is the sandbox id: host-local's lease for each address names it.
    expect(Object.values(leases()).sort()).to.deep.equal([...ready].sort());
    expect(await veths()).to.have.length(3);

    const a = pod('a');
    const attached = await network.setUp(a);
    const sandbox = records().get(ready[0] ?? '');
    expect(attached.netnsPath).to.equal(sandbox?.attachment.netns);
    expect(sandbox?.podUid).to.equal(a.uid);
    expect(leases()[attached.podIP ?? '']).to.equal(ready[0]);
    expect(await podAddress(attached.netnsPath)).to.equal(attached.podIP);
    expect(await netns.succeeds(attached.netnsPath, 'busybox', ['ping', '-c1', '-W2', GATEWAY])).to.equal(true);
  });

  it('refills in the background once pods have stopped starting, never with a taken sandbox', async () => {
    const network = agentNetwork(2);
    const before = await full(network, 2);
    const a = await network.setUp(pod('a'));
    const b = await network.setUp(pod('b'));
    const refilled = await full(network, 2);
    for (const id of before) expect(refilled).to.not.include(id);
    expect(Object.keys(leases())).to.have.length(4);
    const addressOf = (id: string) => records().get(id)?.result?.ips?.[0]?.address.split('/')[0];
    expect([a.podIP, b.podIP]).to.deep.equal(before.map(addressOf));
    for (const id of refilled) expect([a.podIP, b.podIP]).to.not.include(addressOf(id));
  });

  it('adds nothing while pods are starting: a take leaves the pool one short until the quiet period has passed', async () => {
    const network = agentNetwork(2, { poolQuietMs: 60_000 });
    await full(network, 2);
    await network.setUp(pod('a'));
    await network.poolSettled();
    expect(network.poolReady()).to.have.length(1);
    expect(records().size).to.equal(2);
  });

  it('a pod\'s teardown removes its pool sandbox for good: DEL, address, veth, namespace and record gone; nothing leaks', async () => {
    const network = agentNetwork(2);
    await full(network, 2);
    const pods = [pod('a'), pod('b'), pod('c')];
    const attached = await Promise.all(pods.map((p) => network.setUp(p)));
    // Two from the pool, the third of its own (the pool was empty).
    expect(attached.filter((x, i) => x.netnsPath === podNetnsPath(pods[i]?.uid ?? ''))).to.have.length(1);
    const refilled = await full(network, 2);
    for (const p of pods) await network.tearDown(p.uid);
    for (const x of attached) expect(existsSync(x.netnsPath)).to.equal(false);
    expect(Object.values(leases()).sort()).to.deep.equal([...refilled].sort());
    expect([...records().keys()].sort()).to.deep.equal([...refilled].sort());
    expect(await veths()).to.have.length(2);
    await network.removePool();
    expect(leases()).to.deep.equal({});
    expect(records().size).to.equal(0);
    expect(await veths()).to.deep.equal([]);
    for (const id of refilled) expect(existsSync(podNetnsPath(id))).to.equal(false);
  });

  it('a pod with host ports gets a sandbox of its own, with portmap, even when the pool has some', async () => {
    const network = agentNetwork(1);
    const [pooled] = await full(network, 1);
    const web = pod('web', [{ hostPort: 8081, containerPort: 80, protocol: 'tcp' }]);
    const attached = await network.setUp(web);
    expect(attached.netnsPath).to.equal(podNetnsPath(web.uid));
    expect(records().get(web.uid)?.config.plugins.map((p) => p.type)).to.deep.equal(['bridge', 'portmap']);
    expect(network.poolReady()).to.deep.equal([pooled]);
  });

  it('a restarted agent adopts its pool (CHECKed, nothing added again) and keeps the IP of a pod in a taken sandbox', async () => {
    const first = agentNetwork(2);
    await full(first, 2);
    const a = pod('a');
    const atA = await first.setUp(a);
    const pool = await full(first, 2);
    first.stop();
    const leasesBefore = leases();

    const second = agentNetwork(2);
    expect(await full(second, 2)).to.have.members(pool);
    expect(await second.setUp(a)).to.deep.equal(atA);
    expect(leases()).to.deep.equal(leasesBefore);
    expect(await veths()).to.have.length(3);
  });

  it('a restarted agent cleans up what the earlier one left half-done or broken, then fills the pool again', async () => {
    const first = agentNetwork(4);
    const [unfinished, gone, broken, kept] = (await full(first, 4)) as [string, string, string, string];
    first.stop();
    const all = records();
    // An ADD never recorded as done (the agent stopped in the middle), a sandbox whose namespace
    // went (a reboot), and one whose interface went (its CHECK fails).
    writeFileSync(join(stateDir, 'pods', `${unfinished}.json`), JSON.stringify({ ...all.get(unfinished), result: undefined }));
    rmNetns(all.get(gone)?.attachment.netns ?? '');
    await netns.sh(all.get(broken)?.attachment.netns ?? '', 'ip', ['link', 'del', 'eth0']);

    const second = agentNetwork(4);
    const now = await full(second, 4);
    expect(now).to.include(kept);
    for (const id of [unfinished, gone, broken]) {
      expect(now).to.not.include(id);
      expect(existsSync(podNetnsPath(id)), id).to.equal(false);
    }
    expect(Object.values(leases()).sort()).to.deep.equal([...now].sort());
    expect(await veths()).to.have.length(4);
  });

  it('a restarted agent with a smaller pool (or none) removes the sandboxes beyond it', async () => {
    await full(agentNetwork(2), 2);
    networks[0]?.stop();
    const none = agentNetwork(0);
    await eventually(async () => {
      await none.poolSettled();
      expect(records().size).to.equal(0);
    }, 60_000, 50);
    expect(leases()).to.deep.equal({});
    expect(await veths()).to.deep.equal([]);
  });

  it('a new pod CIDR replaces the pool: sandboxes of the old range are removed, new ones get addresses of the new one', async () => {
    const network = agentNetwork(2);
    const old = await full(network, 2);
    network.configure('10.244.9.0/24');
    const renewed = await eventually(async () => {
      const ready = await full(network, 2);
      for (const id of old) expect(ready).to.not.include(id);
      return ready;
    }, 60_000, 50);
    expect(Object.keys(leases()).every((ip) => ip.startsWith('10.244.9.'))).to.equal(true);
    expect(Object.values(leases()).sort()).to.deep.equal([...renewed].sort());
    const attached = await network.setUp(pod('a'));
    expect(attached.podIP).to.match(/^10\.244\.9\.\d+$/);
  });

  it('a pool ADD that fails leaves no address, namespace or record behind, and the pool backs off; pods still attach on their own', async () => {
    await netns.sh(node, 'ip', ['link', 'add', 'bntpool0', 'type', 'veth', 'peer', 'name', 'bntpool1']);
    const { logger, lines } = collectingLogger();
    const network = agentNetwork(2, { bridge: 'bntpool0', logger });
    await eventually(async () => {
      await network.poolSettled();
      const failed = lines.filter((l) => l.message.startsWith('pod sandbox pool: a step failed'));
      expect(failed.map((l) => l.failures)).to.deep.equal([1, 2]);
      expect(String(failed[0]?.error)).to.match(/CNI plugin bridge ADD failed .*bntpool0/);
    }, 20_000, 50);
    expect(network.poolReady()).to.deep.equal([]);
    expect(records().size).to.equal(0);
    expect(leases()).to.deep.equal({});
    const tried = lines.filter((l) => l.message === 'pod sandbox pool: adding a sandbox').map((l) => String(l.netns));
    expect(tried).to.have.length(2);
    for (const path of tried) expect(existsSync(path), path).to.equal(false);
    const a = pod('a');
    const error = await network.setUp(a).then(() => undefined, (err: Error) => err);
    expect(error?.message).to.match(/^CNI plugin bridge ADD failed \(CNI error \d+\): .*bntpool0/);
    await network.removePool();
    await network.tearDown(a.uid);
    expect(records().size).to.equal(0);
  });
});

/** rmNetns removes a namespace bound at `path` (ip netns delete), if there is one. */
function rmNetns(path: string): void {
  if (!path || !existsSync(path)) return;
  try {
    execFileSync('ip', ['netns', 'delete', path.split('/').pop() ?? '']);
  } catch {
    // gone meanwhile
  }
}
