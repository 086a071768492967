import { expect } from 'chai';
import type { ConfigMap, Secret } from '../../../proto/objects/config.js';
import type { Container, Pod } from '../../../proto/objects/pod.js';
import { envFromVariables, keyRefValue, skippedKeysMessage } from '../../../node-agent/config/config-env.js';
import { ContainerConfigError } from '../../../node-agent/config/config-error.js';
import { StreamedConfigObjects } from '../../../node-agent/config/streamed-config-objects.js';
import { silentLogger } from '../../support/logger.js';

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [] } } as unknown as Pod;
const settings: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' }, data: { MODE: 'fast', '1bad': 'x', 'log.level': 'debug' }, binaryData: { BLOB: 'AAE=' } };
const creds: Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'shop' }, type: 'Opaque', data: { PASSWORD: Buffer.from('s3cr3t').toString('base64') } };

function configsWith(...objects: (ConfigMap | Secret)[]): StreamedConfigObjects {
  const configs = new StreamedConfigObjects(silentLogger());
  for (const o of objects) configs.change('ADDED', o);
  return configs;
}

function absent(configs: StreamedConfigObjects, kind: 'ConfigMap' | 'Secret', name: string): void {
  configs.change('ABSENT', { apiVersion: 'v1', kind, metadata: { namespace: 'shop', name } });
}

function configError(fn: () => unknown): ContainerConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ContainerConfigError) return err;
    throw err;
  }
  throw new Error('expected a ContainerConfigError');
}

describe('env from ConfigMaps and Secrets: key references', () => {
  it('reads a ConfigMap key as it is and a Secret key decoded from base64', () => {
    const configs = configsWith(settings, creds);
    expect(keyRefValue(configs, 'ConfigMap', 'shop', { name: 'settings', key: 'MODE' })).to.equal('fast');
    expect(keyRefValue(configs, 'Secret', 'shop', { name: 'creds', key: 'PASSWORD' })).to.equal('s3cr3t');
  });

  it("says what is missing in Kubernetes' words, and never the value", () => {
    const configs = configsWith(creds);
    absent(configs, 'ConfigMap', 'nope');
    expect(configError(() => keyRefValue(configs, 'ConfigMap', 'shop', { name: 'nope', key: 'k' })).message).to.equal('configmap "nope" not found');
    const missingKey = configError(() => keyRefValue(configs, 'Secret', 'shop', { name: 'creds', key: 'TOKEN' }));
    expect(missingKey.message).to.equal("couldn't find key TOKEN in Secret shop/creds");
    expect(missingKey.ref).to.deep.equal({ kind: 'Secret', namespace: 'shop', name: 'creds' });
  });

  it('leaves an optional reference out when the object or key is missing', () => {
    const configs = configsWith(settings);
    absent(configs, 'Secret', 'gone');
    expect(keyRefValue(configs, 'Secret', 'shop', { name: 'gone', key: 'k', optional: true })).to.equal(undefined);
    expect(keyRefValue(configs, 'ConfigMap', 'shop', { name: 'settings', key: 'NOKEY', optional: true })).to.equal(undefined);
  });

  it('waits (an error, even for optional) on an object the control plane has not sent yet, rather than calling it missing', () => {
    const configs = configsWith();
    expect(configError(() => keyRefValue(configs, 'ConfigMap', 'shop', { name: 'later', key: 'k', optional: true })).message).to.match(/not received from the control plane yet/);
  });

  it('never makes a variable of binaryData', () => {
    const configs = configsWith(settings);
    expect(configError(() => keyRefValue(configs, 'ConfigMap', 'shop', { name: 'settings', key: 'BLOB' })).message).to.equal("couldn't find key BLOB in ConfigMap shop/settings");
  });
});

describe('env from ConfigMaps and Secrets: envFrom', () => {
  it('takes every key with the prefix, later sources winning, and reports the keys that are not variable names', () => {
    const configs = configsWith(settings, creds);
    const container: Container = { name: 'c', image: 'busybox', envFrom: [{ configMapRef: { name: 'settings' } }, { prefix: 'DB_', secretRef: { name: 'creds' } }] };
    const { variables, skipped } = envFromVariables(pod, container, configs);
    expect(variables).to.deep.equal([
      { name: 'MODE', resolved: 'fast' },
      { name: 'log.level', resolved: 'debug' },
      { name: 'DB_PASSWORD', resolved: 's3cr3t' },
    ]);
    expect(skipped.map(skippedKeysMessage)).to.deep.equal(['Keys [1bad] from the EnvFrom configMap shop/settings were skipped since they are considered invalid environment variable names.']);
  });

  it('skips an optional missing source and refuses a required one', () => {
    const configs = configsWith();
    absent(configs, 'Secret', 'creds');
    const optional: Container = { name: 'c', image: 'busybox', envFrom: [{ secretRef: { name: 'creds', optional: true } }] };
    expect(envFromVariables(pod, optional, configs).variables).to.deep.equal([]);
    const required: Container = { name: 'c', image: 'busybox', envFrom: [{ secretRef: { name: 'creds' } }] };
    expect(configError(() => envFromVariables(pod, required, configs)).message).to.equal('secret "creds" not found');
  });
});

describe('the agent ConfigObjects fed by WatchConfigObjects', () => {
  it('tells found, missing and unknown apart, and calls listeners on each change', () => {
    const configs = configsWith();
    const heard: string[] = [];
    configs.onChange((kind, ns, name) => heard.push(`${kind}/${ns}/${name}`));
    expect(configs.configMap('shop', 'settings').state).to.equal('unknown');
    absent(configs, 'ConfigMap', 'settings');
    expect(configs.configMap('shop', 'settings').state).to.equal('missing');
    configs.change('ADDED', settings);
    expect(configs.configMap('shop', 'settings')).to.deep.equal({ state: 'found', object: settings });
    configs.change('DELETED', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'shop', name: 'settings' } });
    expect(configs.configMap('shop', 'settings').state).to.equal('unknown');
    expect(heard).to.deep.equal(['ConfigMap/shop/settings', 'ConfigMap/shop/settings', 'ConfigMap/shop/settings']);
  });

  it('keeps answers through a reconnection and forgets, after the listing, what it did not list', () => {
    const configs = configsWith(settings, creds);
    configs.relist();
    expect(configs.secret('shop', 'creds').state).to.equal('found');
    configs.change('ADDED', settings);
    configs.listed();
    expect(configs.configMap('shop', 'settings').state).to.equal('found');
    expect(configs.secret('shop', 'creds').state).to.equal('unknown');
  });
});
