import { expect } from 'chai';
import { apply, isRunning, pod, run, useSharedCluster, waitFor } from '../support/e2e-cluster.js';
import type { LocalClusterHandle } from '../support/local-cluster.js';

const TOKEN = 'tok-9f8e7d6c5b4a';

/** A ConfigMap and a Secret, and a pod that mounts both as files (one key also by subPath) and reads one key as env. */
const OBJECTS = (page: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: site
data:
  index.html: ${page}
  app.conf: level=${page}
---
apiVersion: v1
kind: Secret
metadata:
  name: api-token
stringData:
  token: ${TOKEN}
`;

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: cfg-vol
spec:
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    env:
    - name: PAGE
      valueFrom: {configMapKeyRef: {name: site, key: index.html}}
    - name: TOKEN
      valueFrom: {secretKeyRef: {name: api-token, key: token}}
    volumeMounts:
    - {name: site, mountPath: /etc/site}
    - {name: site, mountPath: /etc/pinned/app.conf, subPath: app.conf}
    - {name: token, mountPath: /etc/token, readOnly: true}
  volumes:
  - name: site
    configMap: {name: site}
  - name: token
    secret: {secretName: api-token, defaultMode: 0400}
`;

describe('e2e: ConfigMaps and Secrets as mounted files', function () {
  this.timeout(120_000);
  let cluster: LocalClusterHandle;

  useSharedCluster(
    (c) => (cluster = c),
    async (c) => {
      await run(c, ['delete', 'pod', 'cfg-vol', '--ignore-not-found', '--grace-period', '0']);
      await run(c, ['delete', 'configmap', 'site', '--ignore-not-found']);
      await run(c, ['delete', 'secret', 'api-token', '--ignore-not-found']);
    },
  );

  const inPod = async (...command: string[]): Promise<string> => (await run(cluster, ['exec', 'cfg-vol', '--', ...command])).stdout.trim();

  it('mounts a ConfigMap and a Secret as files and env; the Secret is on a tmpfs with its mode', async () => {
    await apply(cluster, OBJECTS('v1'));
    await apply(cluster, POD);
    await waitFor(async () => expect(isRunning(await pod(cluster, 'cfg-vol'))).to.equal(true), 60_000);
    expect(await inPod('cat', '/etc/site/index.html')).to.equal('v1');
    expect(await inPod('cat', '/etc/pinned/app.conf')).to.equal('level=v1');
    expect(await inPod('cat', '/etc/token/token')).to.equal(TOKEN);
    expect(await inPod('sh', '-c', 'echo "$PAGE $TOKEN"')).to.equal(`v1 ${TOKEN}`);
    // The file behind the key's symlink has the volume's defaultMode.
    expect(await inPod('stat', '-L', '-c', '%a', '/etc/token/token')).to.equal('400');
    const mounts = (await inPod('cat', '/proc/mounts')).split('\n');
    const tokenMount = mounts.find((l) => l.split(' ')[1] === '/etc/token');
    expect(tokenMount, mounts.join('\n')).to.match(/^\S+ \/etc\/token tmpfs ro[ ,]/);
  });

  it('a changed ConfigMap reaches the mounted files without a restart; env and subPath keep the old value', async () => {
    const before = (await pod(cluster, 'cfg-vol')).status?.containerStatuses?.[0];
    await apply(cluster, OBJECTS('v2'));
    await waitFor(async () => expect(await inPod('cat', '/etc/site/index.html')).to.equal('v2'), 30_000);
    expect(await inPod('cat', '/etc/site/app.conf')).to.equal('level=v2');
    // As in Kubernetes: a subPath mount is a copy of the moment, env is read at start.
    expect(await inPod('cat', '/etc/pinned/app.conf')).to.equal('level=v1');
    expect(await inPod('sh', '-c', 'echo "$PAGE"')).to.equal('v1');
    const after = (await pod(cluster, 'cfg-vol')).status?.containerStatuses?.[0];
    expect(after?.restartCount).to.equal(0);
    expect(after?.containerID).to.equal(before?.containerID);
  });
});
