import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterClient } from '../../../cli/client.js';
import { ControlPlane } from '../../../control-plane/control-plane.js';
import { applyDefaults } from '../../../control-plane/objects/defaults.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';
import { newKeyLine } from '../../../control-plane/store/encryption/key-file.js';
import { connectEtcd, type EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { NodeAPIClient } from '../../../proto/generated/berth/v1/NodeAPI.js';
import type { ConfigMap, Secret } from '../../../proto/objects/config.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import { startTestEtcd, type TestEtcd } from '../../support/etcd.js';
import { collectingLogger } from '../../support/logger.js';
import { SecretCipher } from '../../../control-plane/store/encryption/secret-cipher.js';
import { randomBytes } from 'node:crypto';
import { eventually } from '../../support/wait.js';
import { rawNodeApi } from '../../support/test-clients.js';
import { testClusterClient, testControlPlanePki } from '../../support/test-pki.js';

const PASSWORD = 'correct-horse-battery-staple';
const SECRET_KEY = '/berth/secrets/default/db';

describe('ConfigMaps and Secrets on a real control plane and etcd', function () {
  this.timeout(60_000);
  let etcd: TestEtcd;
  let raw: EtcdClient;
  let dir: string;
  let keyFile: string;
  let controlPlane: ControlPlane | undefined;
  let client: ClusterClient | undefined;
  // Every line the control plane logs in this suite, at debug level: none may hold a Secret's value.
  const logged = collectingLogger();

  async function startControlPlane(): Promise<void> {
    controlPlane = new ControlPlane({ listen: '127.0.0.1:0', etcdEndpoints: [etcd.endpoint], dataDir: dir, embeddedEtcdClientPort: 0, embeddedEtcdPeerPort: 0, pki: await testControlPlanePki(), logger: logged.logger, runControllers: false, encryptionKeyFile: keyFile });
    await controlPlane.start();
    client = await testClusterClient(`127.0.0.1:${controlPlane.port}`);
  }

  async function stopControlPlane(): Promise<void> {
    client?.close();
    await controlPlane?.stop();
    [client, controlPlane] = [undefined, undefined];
  }

  const apply = (object: object) => (client as ClusterClient).apply({ documents: [{ source: 'test.yaml', index: 1, json: JSON.stringify(object) }] });
  const rawValue = async (key: string) => (await raw.get(key).string()) ?? '';

  before(async () => {
    etcd = await startTestEtcd();
    raw = connectEtcd([etcd.endpoint]);
    dir = mkdtempSync(join(tmpdir(), 'berth-test-secrets-'));
    keyFile = join(dir, 'keys');
    writeFileSync(keyFile, `${newKeyLine('k1')}\n`, { mode: 0o600 });
    await startControlPlane();
  });

  after(async () => {
    await stopControlPlane();
    raw?.close();
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores a Secret encrypted (no plaintext in etcd), serves it decrypted, and never keeps stringData', async () => {
    const res = await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: PASSWORD } });
    expect(res.errors).to.deep.equal([]);
    const stored = await rawValue(SECRET_KEY);
    expect(stored.startsWith('berth:enc:aesgcm:v1:k1:')).to.equal(true);
    for (const plain of [PASSWORD, Buffer.from(PASSWORD).toString('base64'), 'stringData', 'last-applied']) expect(stored).not.to.include(plain);
    const served = (await (client as ClusterClient).get('secrets', 'default', 'db')) as Secret;
    expect(served.type).to.equal('Opaque');
    expect(served.stringData).to.equal(undefined);
    expect(Buffer.from(served.data?.password ?? '', 'base64').toString('utf8')).to.equal(PASSWORD);
  });

  it('refuses to change an immutable ConfigMap, naming the field', async () => {
    expect((await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'frozen' }, data: { a: '1' }, immutable: true })).errors).to.deep.equal([]);
    const changed = await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'frozen' }, data: { a: '2' }, immutable: true });
    expect(changed.errors.map((e) => [e.path, e.message])).to.deep.equal([['data', 'Forbidden: field is immutable when `immutable` is set']]);
    expect(((await (client as ClusterClient).get('configmaps', 'default', 'frozen')) as ConfigMap).data).to.deep.equal({ a: '1' });
  });

  it('rotation: with a new first key, a restart re-encrypts every Secret under it; the old key can then go', async () => {
    const k1 = readFileSync(keyFile, 'utf8').trim();
    const k2 = newKeyLine('k2');
    await stopControlPlane();
    writeFileSync(keyFile, `${k2}\n${k1}\n`, { mode: 0o600 });
    await startControlPlane();
    await eventually(async () => expect((await rawValue(SECRET_KEY)).startsWith('berth:enc:aesgcm:v1:k2:')).to.equal(true));
    await stopControlPlane();
    writeFileSync(keyFile, `${k2}\n`, { mode: 0o600 });
    await startControlPlane();
    const served = (await (client as ClusterClient).get('secrets', 'default', 'db')) as Secret;
    expect(Buffer.from(served.data?.password ?? '', 'base64').toString('utf8')).to.equal(PASSWORD);
  });

  it('WatchConfigObjects gives a node only what its pods refer to: found ones, ABSENT ones, a BOOKMARK, then changes', async () => {
    const store = new ObjectStore(raw);
    const createPod = async (name: string, nodeName: string, secret: string) => {
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default' },
        spec: {
          nodeName,
          containers: [{ name: 'c', image: 'busybox', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'frozen', key: 'a' } } }], envFrom: [{ secretRef: { name: secret } }] }],
        },
      };
      applyDefaults(pod);
      Object.assign(pod.metadata, newIdentity());
      await store.create(RESOURCE.pods, pod);
    };
    await createPod('here', 'cfg-node', 'later');
    await createPod('there', 'other-node', 'db');
    const nodeApi = await rawNodeApi(`127.0.0.1:${(controlPlane as ControlPlane).port}`, 'cfg-node');
    const seen: string[] = [];
    const stream = nodeApi.WatchConfigObjects({ node_name: 'cfg-node' });
    stream.on('data', (e: { type: string; object_json: string }) => {
      const o = JSON.parse(e.object_json) as { kind?: string; metadata?: { name: string } };
      seen.push(e.type === 'BOOKMARK' ? 'BOOKMARK' : `${e.type} ${o.kind}/${o.metadata?.name}`);
    });
    stream.on('error', () => undefined);
    try {
      await eventually(() => expect(seen).to.deep.equal(['ADDED ConfigMap/frozen', 'ABSENT Secret/later', 'BOOKMARK']));
      await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'later' }, stringData: { k: 'v' } });
      await eventually(() => expect(seen.slice(3)).to.deep.equal(['ADDED Secret/later']));
      await store.delete(RESOURCE.pods, 'default', 'here');
      await eventually(() => expect(seen.slice(4).sort()).to.deep.equal(['DELETED ConfigMap/frozen', 'DELETED Secret/later']));
      // The Secret `db`, used by a pod of another node, never came.
      expect(seen.filter((s) => s.includes('Secret/db'))).to.deep.equal([]);
    } finally {
      stream.cancel();
      nodeApi.close();
    }
  });

  it('a Secret no key decrypts is named in the log and in the error, and the others are still served', async () => {
    const lostKey = '/berth/secrets/default/lost';
    await raw.put(lostKey).value(new SecretCipher([{ name: 'gone', key: randomBytes(32) }]).encrypt(lostKey, '{}'));
    await stopControlPlane();
    await startControlPlane();
    await eventually(() => expect(logged.lines.find((l) => l.message.startsWith('Secrets no key'))?.keys).to.deep.equal([lostKey]));
    const err = await (client as ClusterClient).get('secrets', 'default', 'lost').then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).to.include('was encrypted with key "gone", which the control plane does not have');
    expect(((await (client as ClusterClient).get('secrets', 'default', 'db')) as Secret).data?.password).to.equal(Buffer.from(PASSWORD).toString('base64'));
    // Nodes still get the Secrets that can be read.
    const nodeApi = await rawNodeApi(`127.0.0.1:${(controlPlane as ControlPlane).port}`, 'other-node');
    const stream = nodeApi.WatchConfigObjects({ node_name: 'other-node' });
    const seen: string[] = [];
    stream.on('data', (e: { type: string; object_json: string }) => seen.push(e.type === 'BOOKMARK' ? 'BOOKMARK' : `${e.type} ${(JSON.parse(e.object_json) as { kind: string; metadata: { name: string } }).kind}/${(JSON.parse(e.object_json) as { metadata: { name: string } }).metadata.name}`));
    stream.on('error', () => undefined);
    try {
      await eventually(() => expect(seen).to.deep.equal(['ADDED ConfigMap/frozen', 'ADDED Secret/db', 'BOOKMARK']));
    } finally {
      stream.cancel();
      nodeApi.close();
    }
  });

  it('never logged a Secret value', () => {
    expect(logged.lines.length).to.be.greaterThan(0);
    const all = JSON.stringify(logged.lines);
    for (const plain of [PASSWORD, Buffer.from(PASSWORD).toString('base64')]) expect(all).not.to.include(plain);
  });
});
