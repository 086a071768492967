import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodResolvFiles } from '../../../node-agent/dns/pod-resolv.js';
import { clusterFirstResolvConf, formatResolvConf, parseResolvConf } from '../../../node-agent/dns/resolv-conf.js';

describe('resolv.conf: the node\'s, and the ones pods get', () => {
  const node = parseResolvConf('# the node\nnameserver 192.0.2.53\nnameserver 192.0.2.54 ; backup\ndomain ignored.example\nsearch corp.example lab.example.\noptions edns0 timeout:2\n');

  it('reads nameservers, search domains (search over domain, final dot dropped) and options, skipping comments', () => {
    expect(node).to.deep.equal({ nameservers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['edns0', 'timeout:2'] });
    expect(parseResolvConf('domain only.example\n').searches).to.deep.equal(['only.example']);
  });

  it('writes a ClusterFirst pod\'s: the cluster DNS, the namespace\'s search path then the node\'s, ndots:5', () => {
    expect(formatResolvConf(clusterFirstResolvConf('shop', 'cluster.local', '10.244.1.1', node))).to.equal(
      'nameserver 10.244.1.1\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\noptions ndots:5\n',
    );
  });

  it('keeps a pod\'s search list within 32 domains and 2048 characters', () => {
    const many = parseResolvConf(`search ${Array.from({ length: 40 }, (_, i) => `d${i}.${'x'.repeat(60)}.example`).join(' ')}\n`);
    const { searches } = clusterFirstResolvConf('default', 'cluster.local', '10.244.1.1', many);
    expect(searches.length).to.be.at.most(32);
    expect(searches.join(' ').length).to.be.at.most(2048);
    expect(searches.slice(0, 3)).to.deep.equal(['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
  });

  describe('PodResolvFiles', () => {
    let root = '';
    let nodeConf = '';
    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'berth-resolv-'));
      nodeConf = join(root, 'node-resolv.conf');
      await writeFile(nodeConf, 'nameserver 192.0.2.53\nsearch corp.example\n');
    });
    afterEach(() => rm(root, { recursive: true, force: true }));

    it('gives each dnsPolicy its file: ClusterFirst per namespace, Default the node\'s, None an empty one', async () => {
      const files = new PodResolvFiles(root, { clusterDomain: 'cluster.local', clusterDNS: () => '10.244.1.1', resolvConfPath: nodeConf });
      const first = await files.forPod('shop', {});
      expect(await readFile(first.hostPath, 'utf8')).to.equal('nameserver 10.244.1.1\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5\n');
      expect((await files.forPod('shop', { dnsPolicy: 'ClusterFirst' })).hostPath).to.equal(first.hostPath);
      expect(await readFile((await files.forPod('shop', { dnsPolicy: 'Default' })).hostPath, 'utf8')).to.equal('nameserver 192.0.2.53\nsearch corp.example\n');
      expect(await readFile((await files.forPod('shop', { dnsPolicy: 'None' })).hostPath, 'utf8')).to.equal('');
    });

    it('falls back to the node\'s resolvers, with a warning, when the node serves no cluster DNS', async () => {
      const files = new PodResolvFiles(root, { clusterDomain: 'cluster.local', clusterDNS: () => undefined, resolvConfPath: nodeConf });
      const resolv = await files.forPod('shop', {});
      expect(await readFile(resolv.hostPath, 'utf8')).to.equal('nameserver 192.0.2.53\nsearch corp.example\n');
      expect(resolv.warning).to.contain('no cluster DNS');
    });
  });
});
