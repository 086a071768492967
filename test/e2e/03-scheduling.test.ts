import { expect } from 'chai';
import type { LocalClusterHandle } from '../support/local-cluster.js';
import { apply, pod, run, useSharedCluster, waitFor } from '../support/e2e-cluster.js';

function barePod(name: string, image: string, resources = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${image}
    command: ["sleep", "1000000"]
${resources}`;
}

describe('e2e: pods that cannot run', function () {
  this.timeout(120_000);
  let cluster: LocalClusterHandle;

  useSharedCluster((c) => (cluster = c), (c) => run(c, ['delete', 'pod', 'huge', 'missing-image', '--ignore-not-found']));

  it('keeps an oversized pod Pending and says why, in get and in describe', async () => {
    await apply(cluster, barePod('huge', 'busybox:1.35', '    resources:\n      requests:\n        memory: 100Ti\n'));
    const message = '0/3 nodes are available: 3 Insufficient memory.';
    const p = await waitFor(async () => {
      const p = await pod(cluster, 'huge');
      const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
      expect(scheduled, JSON.stringify(p.status)).to.include({ status: 'False', reason: 'Unschedulable', message });
      return p;
    });
    expect(p.status?.phase).to.equal('Pending');
    expect(p.spec.nodeName).to.equal(undefined);
    const described = await run(cluster, ['describe', 'pod', 'huge']);
    expect(described.stdout).to.include(message);
  });

  it('reports a missing image as ErrImagePull, then ImagePullBackOff, with the registry\'s message', async () => {
    await apply(cluster, barePod('missing-image', 'busybox:does-not-exist'));
    const reasons = new Set<string>();
    const messages = new Set<string>();
    await waitFor(async () => {
      const p = await pod(cluster, 'missing-image');
      const waiting = p.status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting?.reason) reasons.add(waiting.reason);
      if (waiting?.message) messages.add(waiting.message);
      expect(p.status?.phase).to.equal('Pending');
      expect([...reasons]).to.include.members(['ErrImagePull', 'ImagePullBackOff']);
    }, 60_000);
    // docker-registry's own words for an unknown tag.
    for (const m of messages) expect(m).to.match(/busybox:does-not-exist/).and.to.match(/MANIFEST_UNKNOWN: manifest unknown/);
  });
});
