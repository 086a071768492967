import { expect } from 'chai';
import { ContainerConfigError } from '../../../node-agent/config/config-error.js';
import { referencedObjects, volumeFiles } from '../../../node-agent/volumes/volume-files.js';
import type { Pod } from '../../../proto/objects/pod.js';
import type { Volume } from '../../../proto/objects/volume.js';
import { ConfigObjectsDouble } from '../../support/config-objects-double.js';

const POD: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', uid: 'u-1', labels: { tier: 'front', app: 'web' }, annotations: { note: 'say "hi"' } },
  spec: { containers: [{ name: 'main', image: 'busybox', resources: { limits: { cpu: '250m', memory: '64Mi' } } }] },
};

describe('the files of configMap, secret, downwardAPI and projected volumes', () => {
  let config: ConfigObjectsDouble;
  const facts = { hostIP: '10.0.0.1', podIP: '10.244.0.5', allocatable: { cpu: '2', memory: '4Gi' } };
  const filesOf = (volume: Omit<Volume, 'name'>) => {
    const out = volumeFiles({ name: 'v', ...volume }, { pod: POD, config, facts });
    return Object.fromEntries([...out].map(([path, c]) => [path, [c.data.toString('utf8'), c.mode.toString(8)]]));
  };
  const errorOf = (volume: Omit<Volume, 'name'>) => {
    try {
      filesOf(volume);
    } catch (err) {
      return err;
    }
    return undefined;
  };
  beforeEach(() => {
    config = new ConfigObjectsDouble();
    config.setConfigMap('shop', 'settings', { 'app.conf': 'mode=fast', level: 'debug' }, { 'logo.bin': Buffer.from([1, 2, 3]).toString('base64') });
    config.setSecret('shop', 'creds', { password: 's3cr3t' });
  });

  it('a configMap gives every key (data and binaryData) as a file of mode 0644, or defaultMode', () => {
    expect(filesOf({ configMap: { name: 'settings' } })).to.deep.equal({ 'app.conf': ['mode=fast', '644'], level: ['debug', '644'], 'logo.bin': ['\u0001\u0002\u0003', '644'] });
    expect(filesOf({ configMap: { name: 'settings', defaultMode: 0o440 } })['level']).to.deep.equal(['debug', '440']);
  });

  it('items select and rename keys, with their own mode', () => {
    expect(filesOf({ configMap: { name: 'settings', items: [{ key: 'level', path: 'conf/log-level', mode: 0o400 }] } })).to.deep.equal({ 'conf/log-level': ['debug', '400'] });
  });

  it('a secret gives its values decoded', () => {
    expect(filesOf({ secret: { secretName: 'creds' } })).to.deep.equal({ password: ['s3cr3t', '644'] });
  });

  it('a missing object is a ContainerConfigError in Kubernetes\' words, unless optional (then the volume is empty)', () => {
    const cm = errorOf({ configMap: { name: 'nope' } });
    expect(cm).to.be.instanceOf(ContainerConfigError);
    expect((cm as ContainerConfigError).message).to.equal('configmap "nope" not found');
    expect((cm as ContainerConfigError).ref).to.deep.equal({ kind: 'ConfigMap', namespace: 'shop', name: 'nope' });
    expect((errorOf({ secret: { secretName: 'nope' } }) as Error).message).to.equal('secret "nope" not found');
    expect(filesOf({ configMap: { name: 'nope', optional: true } })).to.deep.equal({});
    expect((errorOf({ configMap: { name: 'settings', items: [{ key: 'absent', path: 'x' }] } }) as Error).message).to.equal('configmap references non-existent config key: absent');
  });

  it('an object not yet synced is not taken for missing, even when optional', () => {
    config.unsynced.add('shop');
    expect(errorOf({ configMap: { name: 'settings', optional: true } })).to.be.instanceOf(ContainerConfigError);
  });

  it('a downwardAPI volume shows fields, whole label and annotation maps as Kubernetes formats them, and resources', () => {
    const files = filesOf({
      downwardAPI: {
        items: [
          { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
          { path: 'tier', fieldRef: { fieldPath: "metadata.labels['tier']" } },
          { path: 'cpu', resourceFieldRef: { containerName: 'main', resource: 'limits.cpu', divisor: '1m' }, mode: 0o600 },
        ],
      },
    });
    expect(files).to.deep.equal({
      name: ['web', '644'],
      labels: ['app="web"\ntier="front"', '644'],
      annotations: ['note="say \\"hi\\""', '644'],
      tier: ['front', '644'],
      cpu: ['250', '600'],
    });
  });

  it('a projected volume combines its sources under one defaultMode', () => {
    const files = filesOf({
      projected: {
        defaultMode: 0o400,
        sources: [
          { configMap: { name: 'settings', items: [{ key: 'level', path: 'level' }] } },
          { secret: { name: 'creds' } },
          { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    });
    expect(files).to.deep.equal({ level: ['debug', '400'], password: ['s3cr3t', '400'], ns: ['shop', '400'] });
  });

  it('lists the objects a pod\'s volumes refer to', () => {
    const refs = referencedObjects([
      { name: 'a', configMap: { name: 'settings' } },
      { name: 'b', projected: { sources: [{ secret: { name: 'creds' } }, { configMap: { name: 'more' } }] } },
    ]);
    expect([...refs.configMaps]).to.deep.equal(['settings', 'more']);
    expect([...refs.secrets]).to.deep.equal(['creds']);
  });
});
