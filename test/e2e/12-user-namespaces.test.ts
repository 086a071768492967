/**
 * Pods with `hostUsers: false` on a real cluster: root inside is an unprivileged range of host
 * ids of its own (65536 ids at a multiple of 65536, disjoint from every other pod's of the node),
 * the image's files and the pod's volumes look as they would without a user namespace, and the
 * range survives an agent restart. A pod without hostUsers keeps the host's ids.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Pod } from '../../proto/objects/pod.js';
import { berth } from '../support/cli.js';
import { apply, hostPid, nodeOf, pod, run, useSharedCluster, waitFor } from '../support/e2e-cluster.js';
import { restartAgent, type LocalClusterHandle } from '../support/local-cluster.js';

const PODS = ['userns-a', 'userns-b', 'userns-c', 'host-ids', 'userns-caps'];

const CONFIG = `apiVersion: v1
kind: ConfigMap
metadata: {name: userns-settings}
data: {greeting: hello from the config}
`;

/** A pod in a user namespace on `node`, with an emptyDir and a ConfigMap volume. */
function usernsPod(name: string, node: string, security = ''): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeName: ${node}
  hostUsers: false
  terminationGracePeriodSeconds: 1
${security}  volumes:
  - {name: scratch, emptyDir: {}}
  - {name: settings, configMap: {name: userns-settings}}
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "echo started as $(id -u); exec sleep 1000000"]
    volumeMounts:
    - {name: scratch, mountPath: /scratch}
    - {name: settings, mountPath: /config}
`;
}

const HOST_IDS = (node: string) => `apiVersion: v1
kind: Pod
metadata: {name: host-ids}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox:1.35
    command: ["sleep", "1000000"]
`;

/** A pod in a user namespace with a node directory as a hostPath volume. */
const CAPS = (node: string, hostDir: string) => `apiVersion: v1
kind: Pod
metadata: {name: userns-caps}
spec:
  nodeName: ${node}
  hostUsers: false
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: node-files, hostPath: {path: ${hostDir}, type: Directory}}
  containers:
  - name: main
    image: busybox:1.35
    command: ["sleep", "1000000"]
    volumeMounts: [{name: node-files, mountPath: /node}]
`;

/** The uid_map line of a process: inside id, host id, count. */
function parseMap(text: string): number[] {
  return text.trim().split(/\s+/).map(Number);
}

describe('e2e: user namespaces (hostUsers: false)', function () {
  this.timeout(180_000);
  let cluster: LocalClusterHandle;

  useSharedCluster(
    (c) => (cluster = c),
    async (c) => {
      await run(c, ['delete', 'pod', ...PODS, '--ignore-not-found']);
      await run(c, ['delete', 'configmap', 'userns-settings', '--ignore-not-found']);
    },
  );

  const running = (name: string) =>
    waitFor(async () => {
      const p = await pod(cluster, name);
      expect(p.status?.phase, JSON.stringify(p.status)).to.equal('Running');
      return p;
    }, 90_000);
  const sh = async (name: string, script: string) => (await run(cluster, ['exec', name, '--', 'sh', '-c', script])).stdout;
  const hostUid = (p: Pod) => /^Uid:\t(\d+)\t/m.exec(readFileSync(`/proc/${hostPid(cluster, p)}/status`, 'utf8'))?.[1];
  const rangesFile = (p: Pod) => JSON.parse(readFileSync(join(nodeOf(cluster, p).root, 'userns', 'ranges.json'), 'utf8')) as Record<string, { hostId: number; size: number }>;

  let base = 0;

  it('runs root inside as a shifted host uid, with root-owned image files and working emptyDir and configMap volumes', async () => {
    const node = cluster.nodes[0]!.name;
    await apply(cluster, CONFIG);
    await apply(cluster, usernsPod('userns-a', node));
    const a = await running('userns-a');
    const [uid, map, busybox, written, config, configOwner, configWrite] = (await sh('userns-a', [
      'id -u',
      'cat /proc/self/uid_map',
      'stat -c %u:%g /bin/busybox',
      'echo note > /scratch/note && stat -c %u:%g /scratch/note',
      'cat /config/greeting; echo',
      'stat -L -c %u /config/greeting',
      'touch /config/new 2>/dev/null && echo writable || echo read-only',
    ].join('; '))).trim().split('\n');
    expect(uid).to.equal('0');
    const [inside, hostId, size] = parseMap(map!);
    base = hostId!;
    expect(inside).to.equal(0);
    expect(size).to.equal(65536);
    expect(base).to.be.greaterThan(0);
    expect(base % 65536).to.equal(0);
    expect(busybox).to.equal('0:0');
    expect(written).to.equal('0:0');
    expect(config).to.equal('hello from the config');
    expect(configOwner).to.equal('0');
    expect(configWrite).to.equal('read-only');
    // Seen from the node, the container's root is the first id of the range.
    expect(hostUid(a)).to.equal(String(base));
    expect(rangesFile(a)[a.metadata.uid!]).to.deep.equal({ hostId: base, size: 65536 });
    expect((await run(cluster, ['logs', 'userns-a'])).stdout).to.equal('started as 0\n');
  });

  it('gives a second pod of the node a disjoint range, honouring runAsUser, fsGroup and readOnlyRootFilesystem', async () => {
    const node = cluster.nodes[0]!.name;
    await apply(cluster, usernsPod('userns-b', node, '  securityContext: {runAsUser: 1000, fsGroup: 2000}\n').replace('    volumeMounts:', '    securityContext: {readOnlyRootFilesystem: true}\n    volumeMounts:'));
    const b = await running('userns-b');
    const [uid, groups, map, written, rootWrite] = (await sh('userns-b', [
      'id -u',
      'id -G',
      'cat /proc/self/uid_map',
      'echo note > /scratch/note && stat -c %u:%g /scratch/note',
      'touch /new 2>/dev/null && echo writable || echo read-only',
    ].join('; '))).trim().split('\n');
    expect(uid).to.equal('1000');
    expect(groups!.split(' ')).to.include('2000');
    const otherBase = parseMap(map!)[1]!;
    expect(Math.abs(otherBase - base)).to.be.at.least(65536);
    expect(written).to.equal('1000:2000');
    expect(rootWrite).to.equal('read-only');
    expect(hostUid(b)).to.equal(String(otherBase + 1000));
  });

  it('leaves a pod without hostUsers in the host\'s user namespace', async () => {
    await apply(cluster, HOST_IDS(cluster.nodes[0]!.name));
    await running('host-ids');
    expect(parseMap(await sh('host-ids', 'cat /proc/self/uid_map'))).to.deep.equal([0, 0, 4294967295]);
  });

  it('keeps a running pod\'s range across an agent restart and never hands it out again', async () => {
    const a = await pod(cluster, 'userns-a');
    await restartAgent(cluster, nodeOf(cluster, a).name);
    expect(parseMap(await waitFor(() => sh('userns-a', 'cat /proc/self/uid_map'), 60_000))[1]).to.equal(base);
    expect(hostUid(a)).to.equal(String(base));
    await apply(cluster, usernsPod('userns-c', a.spec.nodeName!));
    await running('userns-c');
    const bases = await Promise.all(['userns-a', 'userns-b', 'userns-c'].map(async (n) => parseMap(await sh(n, 'cat /proc/self/uid_map'))[1]!));
    expect(new Set(bases).size).to.equal(3);
    expect(bases[0]).to.equal(base);
  });

  it('frees a deleted pod\'s range', async () => {
    const c = await pod(cluster, 'userns-c');
    await run(cluster, ['delete', 'pod', 'userns-c']);
    await waitFor(() => expect(rangesFile(c)).to.not.have.property(c.metadata.uid!), 60_000);
  });

  it('leaves root in the pod without the node\'s privileges: no device node despite CAP_MKNOD, a hostPath\'s files readable but not writable', async () => {
    const hostDir = mkdtempSync(join(tmpdir(), 'userns-hostpath-'));
    try {
      chmodSync(hostDir, 0o755);
      writeFileSync(join(hostDir, 'owned-by-node-root'), 'node data\n', { mode: 0o644 });
      await apply(cluster, CAPS(cluster.nodes[0]!.name, hostDir));
      await running('userns-caps');
      const out = (await sh('userns-caps', [
        'mknod /tmp/disk b 8 0 2>&1; echo "mknod exit $?"',
        'stat -c %u /node/owned-by-node-root',
        'cat /node/owned-by-node-root',
        'echo changed >> /node/owned-by-node-root 2>&1; echo "append exit $?"',
        'touch /node/new 2>&1; echo "create exit $?"',
      ].join('; '))).trim().split('\n');
      // CAP_MKNOD is the pod's namespace's: making a node for the node's disk needs the host's.
      expect(out[0]).to.match(/Operation not permitted/);
      expect(out).to.include('mknod exit 1');
      // The same capability in a pod without a user namespace is the host's (Docker's default set).
      expect(await sh('host-ids', 'mknod /tmp/disk b 8 0 && echo made && rm /tmp/disk')).to.equal('made\n');
      // The node's root is not mapped into the pod: its file shows as the overflow id.
      expect(out).to.include('65534');
      expect(out).to.include('node data');
      expect(out).to.include('append exit 1');
      expect(out).to.include('create exit 1');
      expect(readFileSync(join(hostDir, 'owned-by-node-root'), 'utf8')).to.equal('node data\n');
    } finally {
      await run(cluster, ['delete', 'pod', 'userns-caps', '--ignore-not-found']);
      rmSync(hostDir, { recursive: true, force: true });
    }
  });

  it('refuses a privileged container in a user namespace, naming the field', async () => {
    const manifest = usernsPod('userns-priv', cluster.nodes[0]!.name).replace('    volumeMounts:', '    securityContext: {privileged: true}\n    volumeMounts:');
    const r = await berth(cluster.server, ['apply', '-f', '-'], manifest, cluster.env);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('spec.containers[0].securityContext.privileged');
    expect(r.stderr).to.include('Forbidden: when `spec.hostUsers` is false');
  });
});
