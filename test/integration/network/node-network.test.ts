/**
 * The node-wide pod network, in namespaces the test makes: a node, and a peer outside it joined
 * by a veth pair (10.99.0.1 on the node, 10.99.0.2 on the peer). The peer plays another node
 * (it holds 10.244.6.1, an address of another pod CIDR) and the world outside the cluster.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node } from '../../../proto/objects/cluster.js';
import { CniPodNetwork } from '../../../node-agent/network/cni-pod-network.js';
import { agentRunner, inNetns } from '../../../node-agent/network/commands.js';
import { installMasquerade } from '../../../node-agent/network/masquerade.js';
import { NodeRoutes } from '../../../node-agent/network/node-routes.js';
import { RouteTable } from '../../../node-agent/network/route-table.js';
import { silentLogger } from '../../support/logger.js';
import { TestNetns } from '../../support/test-netns.js';
import { eventually } from '../../support/wait.js';

const settings = { podCIDR: '10.244.5.0/24', clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16' };

function nodeObject(name: string, podCIDR: string, ip: string): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { podCIDR }, status: { addresses: [{ type: 'InternalIP', address: ip }] } };
}

describe('node network: routes to other nodes, masquerade', function () {
  this.timeout(60_000);
  let netns: TestNetns;
  let node: string;
  let peer: string;

  beforeEach(async () => {
    netns = new TestNetns();
    node = await netns.make('node');
    peer = await netns.make('peer');
    await netns.sh(node, 'ip', ['link', 'add', 'nv0', 'type', 'veth', 'peer', 'name', 'pv0', 'netns', `${netns.prefix}-peer`]);
    await netns.sh(node, 'ip', ['addr', 'add', '10.99.0.1/24', 'dev', 'nv0']);
    await netns.sh(node, 'ip', ['link', 'set', 'nv0', 'up']);
    await netns.sh(peer, 'ip', ['addr', 'add', '10.99.0.2/24', 'dev', 'pv0']);
    await netns.sh(peer, 'ip', ['link', 'set', 'pv0', 'up']);
  });

  afterEach(async () => {
    await netns.cleanup();
  });

  it('keeps Berth\'s routes to other nodes\' pod CIDRs and never touches other routes', async () => {
    const table = new RouteTable(inNetns(agentRunner, node));
    await netns.sh(node, 'ip', ['route', 'add', '10.250.0.0/24', 'via', '10.99.0.2']); // someone else's
    await netns.sh(node, 'ip', ['route', 'add', '10.244.9.0/24', 'via', '10.99.0.2', 'proto', '190']); // an earlier agent's, to a node now gone
    const routes = new NodeRoutes('node-1', table, silentLogger(), { retryMs: 50 });
    try {
      routes.relist();
      routes.upsert(nodeObject('node-1', '10.244.5.0/24', '10.99.0.1'));
      routes.upsert(nodeObject('node-2', '10.244.6.0/24', '10.99.0.2'));
      routes.listed();
      await eventually(async () => expect(await table.list()).to.deep.equal([{ cidr: '10.244.6.0/24', via: '10.99.0.2' }]), 10_000, 50);
      expect(await netns.sh(node, 'ip', ['route', 'show', '10.250.0.0/24'])).to.contain('via 10.99.0.2');
      routes.remove(nodeObject('node-2', '10.244.6.0/24', '10.99.0.2'));
      await eventually(async () => expect(await table.list()).to.deep.equal([]), 10_000, 50);
      expect(await netns.sh(node, 'ip', ['route', 'show', '10.250.0.0/24'])).to.contain('via 10.99.0.2');
      await table.remove('10.244.6.0/24'); // already gone: fine
    } finally {
      routes.stop();
    }
  });

  it('replaces only its own nftables table, with one masquerade rule for the current pod CIDR', async () => {
    const run = inNetns(agentRunner, node);
    await netns.sh(node, 'nft', ['add table ip berth-proxy; add chain ip berth-proxy services { type nat hook prerouting priority dstnat; }']);
    await installMasquerade(run, { ...settings, podCIDR: '10.244.4.0/24' });
    await installMasquerade(run, settings);
    const table = await netns.sh(node, 'nft', ['list', 'table', 'ip', 'berth-nat']);
    expect(table.match(/masquerade/g)).to.have.length(1);
    expect(table).to.contain('ip saddr 10.244.5.0/24 ip daddr != { 10.96.0.0/16, 10.244.0.0/16 } masquerade');
    expect(await netns.sh(node, 'nft', ['list', 'table', 'ip', 'berth-proxy'])).to.contain('chain services');
  });

  it('a pod\'s traffic leaving the cluster carries the node\'s address; to another node\'s pods, its own', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'berth-node-net-'));
    const docroot = mkdtempSync(join(tmpdir(), 'berth-node-net-web-'));
    const network = new CniPodNetwork({ stateDir, run: inNetns(agentRunner, node), logger: silentLogger() });
    try {
      network.configure(settings.podCIDR);
      const attached = await network.setUp({ uid: netns.pod(randomUUID()), namespace: 'default', name: 'client', portMappings: [] });
      await installMasquerade(inNetns(agentRunner, node), settings);
      await new RouteTable(inNetns(agentRunner, node)).replace({ cidr: '10.244.6.0/24', via: '10.99.0.2' });
      // The peer: another node's pod address, a way back to this node's pods, and a web server saying who called.
      await netns.sh(peer, 'ip', ['addr', 'add', '10.244.6.1/32', 'dev', 'lo']);
      await netns.sh(peer, 'ip', ['route', 'add', settings.podCIDR, 'via', '10.99.0.1']);
      mkdirSync(join(docroot, 'cgi-bin'));
      writeFileSync(join(docroot, 'cgi-bin', 'caller'), '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n');
      chmodSync(join(docroot, 'cgi-bin', 'caller'), 0o755);
      netns.background(peer, 'busybox', ['httpd', '-f', '-p', '0.0.0.0:8080', '-h', docroot]);
      const caller = (address: string) => eventually(async () => (await netns.sh(attached.netnsPath, 'timeout', ['5', 'busybox', 'wget', '-qO-', `http://${address}:8080/cgi-bin/caller`])).trim(), 10_000, 100);
      expect(await caller('10.99.0.2')).to.equal('10.99.0.1');
      expect(await caller('10.244.6.1')).to.equal(attached.podIP);
    } finally {
      await network.removeOthers(new Set()).catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(docroot, { recursive: true, force: true });
    }
  });
});
