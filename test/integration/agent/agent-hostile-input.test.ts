import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lease } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import type { AgentTestCluster } from '../../support/agent-cluster.js';
import type { TestAgent } from '../../support/agent-process.js';
import { only, runtimeId, useAgentCluster } from '../../support/agent-suite.js';
import { buildBusyboxImage } from '../../support/image-build.js';
import { podLogs } from '../../support/pod-logs.js';
import { eventually } from '../../support/wait.js';

/**
 * Hostile input reaching a real agent: an image whose /etc/passwd is a FIFO, a gzip bomb of a
 * layer, and a container whose output outgrows its log. The agent runs with small limits so
 * that the bomb and the rotation happen quickly.
 */
describe('berth-agent: hostile images and chatty containers', function () {
  this.timeout(120_000);
  let cluster: AgentTestCluster;
  let agent: TestAgent;

  useAgentCluster((c, a) => ([cluster, agent] = [c, a]), ['--layer-max-bytes', '16Mi', '--container-log-max-size', '4096', '--container-log-max-files', '3']);

  async function bind(name: string, spec: Partial<Pod['spec']> & Pick<Pod['spec'], 'containers'>): Promise<Pod> {
    const pod = await cluster.bindPod(agent.name, name, { terminationGracePeriodSeconds: 1, ...spec });
    agent.podUids.add(pod.metadata.uid ?? '');
    return pod;
  }

  it('fails a pod whose image has a FIFO as /etc/passwd with a reason, while the agent stays responsive and starts another pod', async () => {
    const fifo = await buildBusyboxImage(cluster.registry.address, 'hostile/fifo-passwd', 'v1', [
      { name: 'etc/', type: 'dir', mode: 0o755 },
      { name: 'etc/passwd', type: 'fifo', mode: 0o644 },
    ]);
    const lease = await eventually(async () => (await cluster.store.get(RESOURCE.leases, undefined, agent.name)) as Lease, 20_000);
    await bind('fifo-passwd', { containers: [{ name: 'main', image: fifo.reference, command: ['sleep', '3600'] }] });
    await bind('neighbour', { containers: [{ name: 'main', image: cluster.image, command: ['sleep', '3600'] }] });
    const waiting = await eventually(async () => {
      const s = only(await cluster.pod('fifo-passwd'));
      expect(s.state?.waiting?.reason).to.equal('CreateContainerError');
      return s.state?.waiting;
    }, 60_000);
    expect(waiting?.message).to.contain("the image's /etc/passwd is a FIFO, not a regular file; the agent reads it only as a regular file: fix the image");
    await eventually(async () => expect((await cluster.pod('neighbour')).status?.phase).to.equal('Running'), 60_000);
    // The agent's loop still turns: it renews its lease.
    await eventually(async () => {
      const now = (await cluster.store.get(RESOURCE.leases, undefined, agent.name)) as Lease;
      expect(now.spec.renewTime).to.not.equal(lease.spec.renewTime);
    }, 30_000);
    expect((await cluster.pod('fifo-passwd')).status?.phase).to.equal('Pending');
  });

  it('fails the pull of a gzip bomb with ErrImagePull naming the limit, and keeps no part of the layer', async () => {
    const bomb = await buildBusyboxImage(cluster.registry.address, 'hostile/gzip-bomb', 'v1', [{ name: 'zeros', content: Buffer.alloc(64 * 1024 * 1024) }]);
    await bind('bomb', { containers: [{ name: 'main', image: bomb.reference, command: ['true'] }] });
    const waiting = await eventually(async () => {
      const s = only(await cluster.pod('bomb'));
      expect(s.state?.waiting?.reason).to.be.oneOf(['ErrImagePull', 'ImagePullBackOff']);
      expect(s.state?.waiting?.message).to.contain('--layer-max-bytes');
      return s.state?.waiting;
    }, 60_000);
    expect(waiting?.message).to.contain(`the layer unpacks to more than ${16 * 1024 * 1024} uncompressed bytes`);
    const layers = join(agent.root, 'images', 'layers');
    const hex = (d: string | undefined) => (d ?? '').replace('sha256:', '');
    expect(await readdir(join(layers, 'sha256'))).to.not.include(hex(bomb.layers[1]?.diffId));
    expect(await readdir(join(layers, 'tmp'))).to.deep.equal([]);
  });

  it('rotates a container log at the configured size; berth logs and logs -f read across the rotations', async () => {
    const line = (i: string) => `printf 'line-%04d %s\\n' ${i} ${'x'.repeat(60)}`;
    // A slow start, so that logs -f attaches before the first rotation.
    const script = `sleep 1; i=1; while [ $i -le 300 ]; do ${line('$i')}; usleep 2000; i=$((i+1)); done`;
    await bind('chatty', { restartPolicy: 'Never', containers: [{ name: 'main', image: cluster.image, command: ['sh', '-c', script] }] });
    await eventually(async () => expect((await cluster.pod('chatty')).status?.phase).to.equal('Running'), 60_000);
    const followed = await podLogs(cluster.server, 'chatty', { follow: true });
    const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line-${String(from + i).padStart(4, '0')}`);
    const names = (text: string) => text.trim().split('\n').map((l) => l.split(' ')[0]);
    expect(names(followed)).to.deep.equal(numbered(1, 300));
    await eventually(async () => expect((await cluster.pod('chatty')).status?.phase).to.equal('Succeeded'), 30_000);
    // What is kept: three files of at most 4096 bytes, the newest lines without a gap.
    const kept = names(await podLogs(cluster.server, 'chatty'));
    expect(kept.length).to.be.within(80, 130);
    expect(kept).to.deep.equal(numbered(301 - kept.length, 300));
    const id = runtimeId(only(await cluster.pod('chatty')));
    const dir = join(agent.root, 'runtime', 'containers', id);
    expect((await readdir(dir)).filter((f) => f.startsWith('container.log')).sort()).to.deep.equal(['container.log', 'container.log.1', 'container.log.2']);
  });
});
