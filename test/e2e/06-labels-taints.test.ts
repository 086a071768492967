import { expect } from 'chai';
import type { Node } from '../../proto/objects/cluster.js';
import { findCondition } from '../../proto/objects/conditions.js';
import type { Pod } from '../../proto/objects/pod.js';
import { berth } from '../support/cli.js';
import type { LocalClusterHandle } from '../support/local-cluster.js';
import { apply, deployment, getJson, isRunning, pod, pods, run, SLEEP, useSharedCluster, waitFor } from '../support/e2e-cluster.js';

/** A pod that sleeps, with extra spec lines (nodeSelector, tolerations) indented under spec. */
function sleeper(name: string, specLines: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
${specLines}  containers:
  - name: main
    image: busybox:1.35
    command: ${JSON.stringify(SLEEP)}
`;
}

const onNode3 = '  nodeSelector:\n    kubernetes.io/hostname: node-3\n';
const tolerateDedicated = '  tolerations:\n  - key: dedicated\n    operator: Equal\n    value: e2e\n    effect: NoSchedule\n';
const PODS = ['wants-ssd', 'wants-ssd-later', 'pinned-plain', 'pinned-tolerant'];

function scheduledCondition(p: Pod) {
  return findCondition(p.status?.conditions, 'PodScheduled');
}

describe('e2e: berth label and berth taint steer the scheduler', function () {
  this.timeout(180_000);
  let cluster: LocalClusterHandle;

  useSharedCluster((c) => (cluster = c));

  // Each test leaves the shared cluster as it found it: no label, no taint, none of its pods.
  afterEach(async function () {
    this.timeout(60_000);
    if (!cluster) return;
    await run(cluster, ['label', 'node', 'node-2', 'disktype-']);
    const taints = (await getJson<Node>(cluster, ['node', 'node-3'])).spec.taints ?? [];
    if (taints.some((t) => t.key === 'dedicated')) await run(cluster, ['taint', 'node', 'node-3', 'dedicated-']);
    await run(cluster, ['delete', 'pod', ...PODS, '--ignore-not-found']);
    await run(cluster, ['delete', 'deployment', 'spread', '--ignore-not-found']);
    const nodes = await getJson<{ items: Node[] }>(cluster, ['nodes']);
    for (const n of nodes.items) {
      expect(n.metadata.labels?.disktype, n.metadata.name).to.equal(undefined);
      expect((n.spec.taints ?? []).map((t) => t.key), n.metadata.name).to.not.include('dedicated');
    }
  });

  it('a node labelled with berth label attracts a pod with that nodeSelector; label KEY- undoes it', async () => {
    expect((await run(cluster, ['label', 'node', 'node-2', 'disktype=ssd'])).stdout).to.equal('node/node-2 labeled\n');
    expect((await run(cluster, ['get', 'nodes', '-l', 'disktype=ssd', '-o', 'jsonpath={.items[*].metadata.name}'])).stdout).to.equal('node-2');

    await apply(cluster, sleeper('wants-ssd', '  nodeSelector:\n    disktype: ssd\n'));
    const running = await waitFor(async () => {
      const p = await pod(cluster, 'wants-ssd');
      expect(isRunning(p), JSON.stringify(p.status)).to.equal(true);
      return p;
    }, 90_000);
    expect(running.spec.nodeName).to.equal('node-2');

    expect((await run(cluster, ['label', 'node', 'node-2', 'disktype-'])).stdout).to.equal('node/node-2 unlabeled\n');
    expect((await run(cluster, ['get', 'node', 'node-2', '-o', 'jsonpath={.metadata.labels.disktype}'])).stdout).to.equal('');
    await apply(cluster, sleeper('wants-ssd-later', '  nodeSelector:\n    disktype: ssd\n'));
    await waitFor(async () => {
      const p = await pod(cluster, 'wants-ssd-later');
      expect(scheduledCondition(p), JSON.stringify(p.status)).to.include({ status: 'False', reason: 'Unschedulable', message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector." });
    });
    expect((await pod(cluster, 'wants-ssd-later')).spec.nodeName).to.equal(undefined);
  });

  it('a node tainted with berth taint repels pods without the toleration, admits one with it; taint KEY- undoes it', async () => {
    expect((await run(cluster, ['taint', 'node', 'node-3', 'dedicated=e2e:NoSchedule'])).stdout).to.equal('node/node-3 tainted\n');
    const again = await berth(cluster.server, ['taint', 'node', 'node-3', 'dedicated=other:NoSchedule'], undefined, cluster.env);
    expect(again.stderr).to.equal('error: node node-3 already has dedicated taint(s) with same effect(s) and --overwrite is false\n');

    // Four replicas spread over the nodes the taint leaves them.
    await apply(cluster, deployment('spread', 4, SLEEP));
    const spread = await waitFor(async () => {
      const list = await pods(cluster, 'app=spread');
      expect(list.filter((p) => p.spec.nodeName)).to.have.length(4);
      return list;
    }, 60_000);
    expect(spread.map((p) => p.spec.nodeName)).to.not.include('node-3');

    // Pinned to node-3: without the toleration it waits and says why; with it, it runs there.
    await apply(cluster, sleeper('pinned-plain', onNode3));
    await apply(cluster, sleeper('pinned-tolerant', `${onNode3}${tolerateDedicated}`));
    const tolerant = await waitFor(async () => {
      const p = await pod(cluster, 'pinned-tolerant');
      expect(isRunning(p), JSON.stringify(p.status)).to.equal(true);
      return p;
    }, 90_000);
    expect(tolerant.spec.nodeName).to.equal('node-3');
    const plain = await waitFor(async () => {
      const p = await pod(cluster, 'pinned-plain');
      expect(scheduledCondition(p)?.message, JSON.stringify(p.status)).to.contain('1 node(s) had untolerated taint {dedicated: e2e}');
      return p;
    });
    expect(plain.spec.nodeName).to.equal(undefined);

    expect((await run(cluster, ['taint', 'node', 'node-3', 'dedicated-'])).stdout).to.equal('node/node-3 untainted\n');
    const admitted = await waitFor(async () => {
      const p = await pod(cluster, 'pinned-plain');
      expect(p.spec.nodeName).to.equal('node-3');
      return p;
    }, 60_000);
    expect(admitted.metadata.name).to.equal('pinned-plain');
  });
});
