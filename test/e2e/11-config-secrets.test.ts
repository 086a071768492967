import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { berth } from '../support/cli.js';
import { apply, pod, run, useSharedCluster, waitFor } from '../support/e2e-cluster.js';
import type { LocalClusterHandle } from '../support/local-cluster.js';

const PASSWORD = 's3cr3t-Pa55-word';

/** A ConfigMap and a Secret as users write them, and a pod that takes them as env and envFrom. */
const OBJECTS = `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  mode: production
  greeting: hello
---
apiVersion: v1
kind: Secret
metadata:
  name: db-creds
type: Opaque
stringData:
  password: ${PASSWORD}
data:
  user: ${Buffer.from('admin').toString('base64')}
---
apiVersion: v1
kind: Pod
metadata:
  name: cfg-env
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "env | grep -E '^(MODE|DB_|CFG_|OPT)' | sort"]
    env:
    - name: MODE
      valueFrom: {configMapKeyRef: {name: app-config, key: mode}}
    - name: DB_PASSWORD
      valueFrom: {secretKeyRef: {name: db-creds, key: password}}
    - name: OPTIONAL_MISSING
      valueFrom: {configMapKeyRef: {name: no-such-config, key: x, optional: true}}
    envFrom:
    - prefix: CFG_
      configMapRef: {name: app-config}
    - secretRef: {name: no-such-secret, optional: true}
`;

/** A pod that needs a ConfigMap nobody has applied yet. */
const WAITING_POD = `apiVersion: v1
kind: Pod
metadata:
  name: cfg-wait
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "echo level=$LEVEL"]
    env:
    - name: LEVEL
      valueFrom: {configMapKeyRef: {name: late-config, key: level}}
`;

const LATE_CONFIG = `apiVersion: v1
kind: ConfigMap
metadata:
  name: late-config
data:
  level: debug
`;

async function succeeded(cluster: LocalClusterHandle, name: string): Promise<void> {
  await waitFor(async () => expect((await pod(cluster, name)).status?.phase).to.equal('Succeeded'), 60_000);
}

describe('e2e: ConfigMaps and Secrets', function () {
  this.timeout(120_000);
  let cluster: LocalClusterHandle;

  useSharedCluster(
    (c) => (cluster = c),
    async (c) => {
      await run(c, ['delete', 'pod', 'cfg-env', 'cfg-wait', '--ignore-not-found']);
      await run(c, ['delete', 'configmap', 'app-config', 'late-config', '--ignore-not-found']);
      await run(c, ['delete', 'secret', 'db-creds', '--ignore-not-found']);
    },
  );

  it('a pod gets a ConfigMap key, a Secret key and a prefixed envFrom as variables; optional missing ones are left out', async () => {
    const applied = await apply(cluster, OBJECTS);
    expect(applied.stderr).not.to.match(/Warning/);
    await succeeded(cluster, 'cfg-env');
    const logs = (await run(cluster, ['logs', 'cfg-env'])).stdout.trim().split('\n');
    expect(logs).to.deep.equal(['CFG_greeting=hello', 'CFG_mode=production', `DB_PASSWORD=${PASSWORD}`, 'MODE=production']);
  });

  it('the Secret is encrypted in etcd: its raw value holds no plaintext, and the key file is private', async () => {
    // What a cluster operator sees with etcdctl (Debian's etcd-client), the raw bytes under the key.
    const etcdctl = (key: string): string =>
      execFileSync('etcdctl', ['--endpoints', `http://127.0.0.1:${cluster.record.etcdPort}`, 'get', key, '--print-value-only'], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8', timeout: 10_000 });
    const raw = etcdctl('/berth/secrets/default/db-creds');
    expect(raw.startsWith('berth:enc:aesgcm:v1:')).to.equal(true);
    for (const plain of [PASSWORD, Buffer.from(PASSWORD).toString('base64'), 'admin', Buffer.from('admin').toString('base64'), 'password', 'db-creds']) expect(raw).not.to.include(plain);
    expect(etcdctl('/berth/configmaps/default/app-config')).to.include('production');
    expect(statSync(join(cluster.stateDir, 'encryption-keys')).mode & 0o777).to.equal(0o600);
  });

  it('get and describe show keys and sizes, never a Secret value; stringData is not stored', async () => {
    const secrets = (await run(cluster, ['get', 'secrets'])).stdout;
    expect(secrets.split('\n')[0]).to.match(/^NAME\s+TYPE\s+DATA\s+AGE$/);
    expect(secrets).to.match(/^db-creds\s+Opaque\s+2\s+\S+$/m);
    expect((await run(cluster, ['get', 'cm', 'app-config'])).stdout).to.match(/^NAME\s+DATA\s+AGE\napp-config\s+2\s+\S+\n$/);
    const described = (await run(cluster, ['describe', 'secret', 'db-creds'])).stdout;
    expect(described).to.match(/^Type:\s+Opaque$/m);
    expect(described).to.match(/^password:\s+16 bytes$/m);
    expect(described).to.match(/^user:\s+5 bytes$/m);
    expect(described).not.to.include(PASSWORD);
    expect(described).not.to.include(Buffer.from(PASSWORD).toString('base64'));
    const stored = JSON.parse((await run(cluster, ['get', 'secret', 'db-creds', '-o', 'json'])).stdout) as { data: Record<string, string>; stringData?: unknown };
    expect(stored.stringData).to.equal(undefined);
    expect(Buffer.from(stored.data.password ?? '', 'base64').toString('utf8')).to.equal(PASSWORD);
  });

  it('a missing ConfigMap keeps the pod in CreateContainerConfigError; applying it starts the pod by itself', async () => {
    await apply(cluster, WAITING_POD);
    await waitFor(async () => {
      const waiting = (await pod(cluster, 'cfg-wait')).status?.containerStatuses?.[0]?.state?.waiting;
      expect(waiting).to.deep.equal({ reason: 'CreateContainerConfigError', message: 'configmap "late-config" not found' });
    }, 60_000);
    expect((await run(cluster, ['get', 'pod', 'cfg-wait'])).stdout).to.match(/^cfg-wait\s+0\/1\s+CreateContainerConfigError\s+0\s+/m);
    await apply(cluster, LATE_CONFIG);
    await succeeded(cluster, 'cfg-wait');
    expect((await run(cluster, ['logs', 'cfg-wait'])).stdout.trim()).to.equal('level=debug');
  });

  it('delete removes ConfigMaps and Secrets', async () => {
    await run(cluster, ['delete', 'secret', 'db-creds']);
    await run(cluster, ['delete', 'cm', 'late-config']);
    const left = await berth(cluster.server, ['get', 'secret', 'db-creds'], undefined, cluster.env);
    expect(left.code).not.to.equal(0);
    expect(left.stderr).to.include('secrets "db-creds" not found');
    expect((await run(cluster, ['get', 'cm'])).stdout).not.to.include('late-config');
  });
});
