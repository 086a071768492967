import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Pod } from '../../proto/objects/pod.js';
import { apply, nodeOf, pod, run, useSharedCluster, waitFor } from '../support/e2e-cluster.js';
import { startAgent, stopAgent, type LocalClusterHandle } from '../support/local-cluster.js';

const PODS = ['web', 'mem', 'readonly', 'downward', 'groups', 'full', 'missing-file', 'outlived', 'escape'];

/** Two containers sharing an emptyDir: one writes a page into it, the other serves the page (a subPath of it, read-only). */
const WEB = `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: site
    emptyDir: {}
  containers:
  - name: writer
    image: busybox:1.35
    command: ["sh", "-c", "mkdir -p /data/public && echo hello from the writer > /data/public/index.html && sleep 1000000"]
    volumeMounts: [{name: site, mountPath: /data}]
  - name: server
    image: busybox:1.35
    command: ["httpd", "-f", "-p", "8080", "-h", "/srv"]
    volumeMounts: [{name: site, mountPath: /srv, subPath: public, readOnly: true}]
`;

const MEM = `apiVersion: v1
kind: Pod
metadata: {name: mem}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: cache
    emptyDir: {medium: Memory, sizeLimit: 1Mi}
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "grep ' /cache ' /proc/mounts; dd if=/dev/zero of=/cache/big bs=1024 count=2048 2>&1; echo written $(du -k /cache/big | cut -f1)k; sleep 1000000"]
    volumeMounts: [{name: cache, mountPath: /cache}]
`;

/** A hostPath with a mount below it, mounted read-only: the mount below must be read-only too. */
const readonlyPod = (hostDir: string) => `apiVersion: v1
kind: Pod
metadata: {name: readonly}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: outer
    hostPath: {path: ${hostDir}, type: Directory}
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "touch /ro/top 2>&1; touch /ro/inner/below 2>&1; cat /ro/inner/marker; sleep 1000000"]
    volumeMounts: [{name: outer, mountPath: /ro, readOnly: true}]
`;

const DOWNWARD = `apiVersion: v1
kind: Pod
metadata:
  name: downward
  labels: {app: shop, tier: front}
  annotations: {owner: team-a}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: info
    downwardAPI:
      items:
      - {path: name, fieldRef: {fieldPath: metadata.name}}
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      # Octal, as manifests written for kubectl have it.
      - {path: meta/owner, fieldRef: {fieldPath: "metadata.annotations['owner']"}, mode: 0400}
      - {path: mem-limit, resourceFieldRef: {containerName: main, resource: limits.memory, divisor: 1Mi}}
  containers:
  - name: main
    image: busybox:1.35
    command: ["sleep", "1000000"]
    resources: {limits: {memory: 64Mi}}
    volumeMounts: [{name: info, mountPath: /etc/podinfo}]
`;

const GROUPS = `apiVersion: v1
kind: Pod
metadata: {name: groups}
spec:
  restartPolicy: Never
  securityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000, supplementalGroups: [3000]}
  volumes:
  - name: shared
    emptyDir: {}
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "id -G; stat -c '%g %A' /shared; touch /shared/f && stat -c '%g' /shared/f"]
    volumeMounts: [{name: shared, mountPath: /shared}]
`;

const FULL = `apiVersion: v1
kind: Pod
metadata: {name: full}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: scratch
    emptyDir: {sizeLimit: 1Mi}
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "dd if=/dev/zero of=/scratch/big bs=1024 count=3072; sleep 1000000"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
`;

const MISSING_FILE = `apiVersion: v1
kind: Pod
metadata: {name: missing-file}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: f
    hostPath: {path: /nonexistent/berth-e2e-file, type: File}
  containers:
  - name: main
    image: busybox:1.35
    command: ["sleep", "1000000"]
    volumeMounts: [{name: f, mountPath: /f}]
`;

/** A subPath through a symlink, left in the volume, that points out of it. */
const escapePod = (hostDir: string) => `apiVersion: v1
kind: Pod
metadata: {name: escape}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: data
    hostPath: {path: ${hostDir}, type: Directory}
  containers:
  - name: main
    image: busybox:1.35
    command: ["sleep", "1000000"]
    volumeMounts: [{name: data, mountPath: /stolen, subPath: evil}]
`;

/** Volumes of every kind that leave something on the node: a tmpfs, a disk directory, a subPath bind. */
const OUTLIVED = `apiVersion: v1
kind: Pod
metadata: {name: outlived}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: mem
    emptyDir: {medium: Memory}
  - name: disk
    emptyDir: {}
  containers:
  - name: main
    image: busybox:1.35
    command: ["sleep", "1000000"]
    volumeMounts:
    - {name: mem, mountPath: /mem}
    - {name: disk, mountPath: /disk}
    - {name: disk, mountPath: /sub, subPath: nested/dir}
`;

describe('e2e: volumes', function () {
  this.timeout(120_000);
  let cluster: LocalClusterHandle;
  let hostDir: string | undefined;
  let escapeDir: string | undefined;

  useSharedCluster(
    (c) => (cluster = c),
    async (c) => {
      await run(c, ['delete', 'pod', ...PODS, '--ignore-not-found']);
      if (hostDir) {
        execFileSync('umount', ['-l', join(hostDir, 'inner')], { stdio: 'ignore' });
        rmSync(hostDir, { recursive: true, force: true });
      }
      if (escapeDir) rmSync(escapeDir, { recursive: true, force: true });
    },
  );

  const running = (name: string) =>
    waitFor(async () => {
      const p = await pod(cluster, name);
      expect(p.status?.phase, JSON.stringify(p.status)).to.equal('Running');
      return p;
    }, 60_000);
  const logs = async (name: string, container?: string) => (await run(cluster, ['logs', name, ...(container ? ['-c', container] : [])])).stdout;

  it('one container writes into an emptyDir, the other serves it over HTTP; deleting the pod leaves nothing of its volumes on the node', async () => {
    await apply(cluster, WEB);
    const web = await running('web');
    const page = await waitFor(async () => {
      const out = (await run(cluster, ['exec', 'web', '--', 'wget', '-qO-', 'http://127.0.0.1:8080/index.html'])).stdout;
      expect(out).to.equal('hello from the writer\n');
      return out;
    });
    expect(page).to.equal('hello from the writer\n');
    await expectGoneAfterDelete(web);
  });

  it('a medium: Memory emptyDir is a tmpfs of its sizeLimit, which stops writes beyond it; its tmpfs goes with the pod', async () => {
    await apply(cluster, MEM);
    const mem = await running('mem');
    const out = await waitFor(async () => {
      const text = await logs('mem');
      expect(text).to.match(/written \d+k/);
      return text;
    });
    expect(out).to.match(/^tmpfs \/cache tmpfs rw,.*size=1024k/m);
    expect(out).to.match(/No space left on device/);
    const written = Number(/written (\d+)k/.exec(out)?.[1]);
    expect(written).to.be.at.most(1024);
    await expectGoneAfterDelete(mem);
  });

  it('a read-only mount is read-only all the way down, mounts below it included', async () => {
    hostDir = mkdtempSync(join(tmpdir(), 'berth-e2e-ro-'));
    mkdirSync(join(hostDir, 'inner'));
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(hostDir, 'inner')]);
    execFileSync('sh', ['-c', `echo below > ${join(hostDir, 'inner', 'marker')}`]);
    await apply(cluster, readonlyPod(hostDir));
    await running('readonly');
    const out = await waitFor(async () => {
      const text = await logs('readonly');
      expect(text).to.contain('below');
      return text;
    });
    expect(out).to.match(/touch: \/ro\/top: Read-only file system/);
    expect(out).to.match(/touch: \/ro\/inner\/below: Read-only file system/);
    expect(existsSync(join(hostDir, 'inner', 'below'))).to.equal(false);
  });

  it('a subPath through a symlink out of its volume is refused: the container never starts', async () => {
    escapeDir = mkdtempSync(join(tmpdir(), 'berth-e2e-escape-'));
    symlinkSync('/etc', join(escapeDir, 'evil'));
    await apply(cluster, escapePod(escapeDir));
    const waiting = await waitFor(async () => {
      const state = (await pod(cluster, 'escape')).status?.containerStatuses?.[0]?.state;
      expect(state?.waiting?.message ?? '').to.contain('failed to prepare subPath');
      return state?.waiting;
    }, 30_000);
    expect(waiting?.message).to.match(/failed to prepare subPath for volumeMount "data" of container "main": subPath "evil" leaves the volume/);
    expect((await pod(cluster, 'escape')).status?.containerStatuses?.[0]?.state?.running).to.equal(undefined);
  });

  it('a downwardAPI volume holds the pod\'s fields as files, and follows a label change', async () => {
    await apply(cluster, DOWNWARD);
    await running('downward');
    const cat = async (file: string) => (await run(cluster, ['exec', 'downward', '--', 'cat', `/etc/podinfo/${file}`])).stdout;
    expect(await cat('name')).to.equal('downward');
    expect(await cat('labels')).to.equal('app="shop"\ntier="front"');
    expect(await cat('meta/owner')).to.equal('team-a');
    expect(await cat('mem-limit')).to.equal('64');
    expect((await run(cluster, ['exec', 'downward', '--', 'stat', '-L', '-c', '%a', '/etc/podinfo/meta/owner'])).stdout.trim()).to.equal('400');
    await run(cluster, ['label', 'pod', 'downward', 'tier=back', '--overwrite']);
    await waitFor(async () => expect(await cat('labels')).to.equal('app="shop"\ntier="back"'), 20_000);
  });

  it('fsGroup owns the volume (setgid) and joins every process\'s groups, with supplementalGroups', async () => {
    await apply(cluster, GROUPS);
    await waitFor(async () => expect((await pod(cluster, 'groups')).status?.phase).to.equal('Succeeded'), 60_000);
    const [ids, dir, file] = (await logs('groups')).trim().split('\n');
    expect((ids ?? '').split(' ')).to.include.members(['1000', '2000', '3000']);
    expect(dir).to.equal('2000 drwxrwsrwx');
    expect(file).to.equal('2000');
  });

  it('a disk emptyDir written past its sizeLimit gets the pod evicted', async () => {
    await apply(cluster, FULL);
    const evicted = await waitFor(async () => {
      const p = await pod(cluster, 'full');
      expect(p.status?.phase).to.equal('Failed');
      return p;
    }, 60_000);
    expect(evicted.status?.reason).to.equal('Evicted');
    expect(evicted.status?.message).to.equal('Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
    await waitFor(async () => {
      const statuses = (await pod(cluster, 'full')).status?.containerStatuses ?? [];
      expect(statuses[0]?.state?.terminated, JSON.stringify(statuses)).to.not.equal(undefined);
    });
  });

  it('a hostPath whose type check fails keeps the pod ContainerCreating with a FailedMount event', async () => {
    await apply(cluster, MISSING_FILE);
    await waitFor(async () => {
      const out = (await run(cluster, ['describe', 'pod', 'missing-file'])).stdout;
      expect(out).to.match(/FailedMount.*MountVolume\.SetUp failed for volume "f" : hostPath type check failed: \/nonexistent\/berth-e2e-file is not a file/);
    }, 30_000);
    const p = await pod(cluster, 'missing-file');
    expect(p.status?.containerStatuses?.[0]?.state?.waiting?.reason).to.equal('ContainerCreating');
  });

  it('a pod deleted while its node\'s agent is down leaves nothing of its volumes once the agent is back', async () => {
    await apply(cluster, OUTLIVED);
    const p = await running('outlived');
    const node = nodeOf(cluster, p);
    const uid = p.metadata.uid ?? '';
    // Its tmpfs and its subPath bind.
    const volumeMounts = readFileSync(`/proc/${node.agentPid}/mountinfo`, 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(join(node.root, 'volumes', uid)));
    expect(volumeMounts).to.have.length(2);
    await stopAgent(cluster, node.name, 'SIGKILL');
    try {
      await run(cluster, ['delete', 'pod', 'outlived', '--wait=false']);
    } finally {
      startAgent(cluster, node.name);
    }
    await waitFor(async () => {
      expect((await run(cluster, ['get', 'pods', '-o', 'name'])).stdout).to.not.contain('outlived');
      expect(existsSync(join(node.root, 'volumes', uid))).to.equal(false);
      expect(readFileSync(`/proc/${node.agentPid}/mountinfo`, 'utf8')).to.not.contain(uid);
    }, 60_000);
  });

  /** Deletes the pod and checks its node has no directory and no mount of its volumes left. */
  async function expectGoneAfterDelete(p: Pod): Promise<void> {
    const node = nodeOf(cluster, p);
    const uid = p.metadata.uid ?? '';
    const dir = join(node.root, 'volumes', uid);
    expect(existsSync(dir)).to.equal(true);
    await run(cluster, ['delete', 'pod', p.metadata.name]);
    await waitFor(() => {
      expect(existsSync(dir)).to.equal(false);
      expect(readFileSync(`/proc/${node.agentPid}/mountinfo`, 'utf8')).to.not.contain(uid);
    }, 30_000);
  }
});
