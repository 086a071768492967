import { expect } from 'chai';
import { COLUMNS } from '../../../cli/printers/columns.js';
import { describeObject } from '../../../cli/printers/describe.js';
import type { ConfigMap, Secret } from '../../../proto/objects/config.js';
import type { Pod } from '../../../proto/objects/pod.js';

const created = new Date(0).toISOString();
const configMap: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'default', creationTimestamp: created }, data: { mode: 'production', greeting: 'hello' }, binaryData: { logo: 'AAECAw==' } };
const secret: Secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db-creds', namespace: 'default', creationTimestamp: created, annotations: { 'berth.dev/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}' } },
  type: 'Opaque',
  data: { password: Buffer.from('hunter2').toString('base64'), user: Buffer.from('admin').toString('base64') },
};

describe('printers: ConfigMaps and Secrets', () => {
  it('get: NAME DATA AGE for ConfigMaps, NAME TYPE DATA AGE for Secrets, as kubectl', () => {
    expect(COLUMNS.ConfigMap?.headers).to.deep.equal(['NAME', 'DATA', 'AGE']);
    expect(COLUMNS.ConfigMap?.row(configMap, 65_000)).to.deep.equal(['app-config', '3', '65s']);
    expect(COLUMNS.Secret?.headers).to.deep.equal(['NAME', 'TYPE', 'DATA', 'AGE']);
    expect(COLUMNS.Secret?.row(secret, 65_000)).to.deep.equal(['db-creds', 'Opaque', '2', '65s']);
  });

  it('describe secret: the type, each key and its size in bytes, never a value (nor the last-applied annotation)', () => {
    const text = describeObject(secret, [], 65_000);
    expect(text).to.include('Type:  Opaque');
    expect(text).to.match(/^password:\s+7 bytes$/m);
    expect(text).to.match(/^user:\s+5 bytes$/m);
    for (const hidden of ['hunter2', 'aHVudGVyMg==', 'admin', 'YWRtaW4=']) expect(text).not.to.include(hidden);
  });

  it('describe configmap: text values under their key, binary keys with their size', () => {
    const text = describeObject(configMap, [], 65_000);
    expect(text).to.include('greeting:\n----\nhello\n');
    expect(text).to.include('mode:\n----\nproduction\n');
    expect(text).to.include('BinaryData\n====\nlogo: 4 bytes');
  });

  it('describe pod: an env var from a Secret shows its reference, not its value', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default', creationTimestamp: created },
      spec: { containers: [{ name: 'c', image: 'busybox', env: [{ name: 'PASS', valueFrom: { secretKeyRef: { name: 'db-creds', key: 'password' } } }], envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'app-config' } }] }] },
    } as Pod;
    const text = describeObject(pod, [], 65_000);
    expect(text).to.include("PASS=<set to the key 'password' in secret 'db-creds'>");
    expect(text).to.include("app-config  ConfigMap with prefix 'CFG_'  Optional: false");
  });

  it('describe pod: a downward API variable shows where its value comes from', () => {
    const env = [
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { containerName: 'c', resource: 'limits.memory' } } },
    ];
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', creationTimestamp: created }, spec: { containers: [{ name: 'c', image: 'busybox', env }] } } as Pod;
    expect(describeObject(pod, [], 65_000)).to.include('NODE= (v1:spec.nodeName), MEM= (c:limits.memory)');
  });
});
