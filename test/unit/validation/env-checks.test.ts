import { expect } from 'chai';
import { validateObject } from '../../../proto/validation/index.js';
import { deploymentManifest } from '../../support/deployment-manifest.js';

function deployment(env: unknown[]) {
  return deploymentManifest({ container: { env } });
}

const ENV = 'spec.template.spec.containers[0].env';

describe('validateObject: env valueFrom (downward API)', () => {
  it('accepts every field and resource the downward API offers, without a warning', () => {
    const env = [
      ...['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.podIP', 'status.podIPs', 'status.hostIP', 'status.hostIPs', "metadata.labels['app']", "metadata.annotations['example.com/note']"].map(
        (fieldPath, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { fieldPath } } }),
      ),
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { containerName: 'web', resource: 'requests.memory', divisor: '1Mi' } } },
    ];
    const result = validateObject(deployment(env));
    expect(result.errors).to.deep.equal([]);
    expect(result.warnings).to.deep.equal([]);
  });

  it('names an unsupported fieldPath and lists the supported ones', () => {
    const result = validateObject(deployment([{ name: 'A', value: 'a' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'spec.foo' } } }]));
    expect(result.errors).to.have.length(1);
    expect(result.errors[0]?.path).to.equal(`${ENV}[1].valueFrom.fieldRef.fieldPath`);
    expect(result.errors[0]?.message).to.match(/^Unsupported value: "spec.foo": supported values: "metadata.name", "metadata.namespace", .*"status.podIP"/);
  });

  it('refuses a valueFrom with no source, two sources, or beside a value', () => {
    const none = validateObject(deployment([{ name: 'A', valueFrom: {} }]));
    expect(none.errors.map((e) => [e.path, e.message])).to.deep.equal([[`${ENV}[0].valueFrom`, 'Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`']]);
    const two = validateObject(deployment([{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, resourceFieldRef: { resource: 'limits.cpu' } } }]));
    expect(two.errors.map((e) => e.message)).to.deep.equal(['Invalid value: "": may not have more than one field specified at a time']);
    const both = validateObject(deployment([{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]));
    expect(both.errors.map((e) => e.message)).to.deep.equal(['Invalid value: "": may not be specified when `value` is not empty']);
  });

  it('refuses an unknown resource, a divisor Kubernetes does not accept, and an unknown container', () => {
    const result = validateObject(
      deployment([
        { name: 'A', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } },
        { name: 'B', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1Mi' } } },
        { name: 'C', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '3' } } },
        { name: 'D', valueFrom: { resourceFieldRef: { containerName: 'nope', resource: 'limits.memory' } } },
      ]),
    );
    expect(result.errors.map((e) => e.path)).to.deep.equal([
      `${ENV}[0].valueFrom.resourceFieldRef.resource`,
      `${ENV}[1].valueFrom.resourceFieldRef.divisor`,
      `${ENV}[2].valueFrom.resourceFieldRef.divisor`,
      `${ENV}[3].valueFrom.resourceFieldRef.containerName`,
    ]);
    expect(result.errors[1]?.message).to.equal('Invalid value: "1Mi": only divisor\'s values 1m, 1 are supported with the cpu resource');
  });

  it('refuses a label key that is not a qualified name', () => {
    const result = validateObject(deployment([{ name: 'A', valueFrom: { fieldRef: { fieldPath: "metadata.labels['bad key']" } } }]));
    expect(result.errors.map((e) => e.path)).to.deep.equal([`${ENV}[0].valueFrom.fieldRef.fieldPath`]);
  });

  it('accepts ConfigMap and Secret key references without a warning', () => {
    const result = validateObject(deployment([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }, { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } }]));
    expect(result.errors).to.deep.equal([]);
    expect(result.warnings).to.deep.equal([]);
  });

  it('refuses a key reference without a name or with a key that cannot name an entry', () => {
    const result = validateObject(deployment([{ name: 'A', valueFrom: { configMapKeyRef: { name: '', key: 'a/b' } } }]));
    expect(result.errors.map((e) => [e.path, e.message.split(':')[0]])).to.deep.equal([
      [`${ENV}[0].valueFrom.configMapKeyRef.name`, 'Required value'],
      [`${ENV}[0].valueFrom.configMapKeyRef.key`, 'Invalid value'],
    ]);
  });
});

describe('validateObject: envFrom', () => {
  const ENV_FROM = 'spec.template.spec.containers[0].envFrom';
  function withEnvFrom(envFrom: unknown[]) {
    return deploymentManifest({ container: { envFrom } });
  }

  it('accepts a ConfigMap and a Secret source with a prefix', () => {
    const result = validateObject(withEnvFrom([{ configMapRef: { name: 'cm' } }, { prefix: 'DB_', secretRef: { name: 's', optional: true } }]));
    expect(result.errors).to.deep.equal([]);
    expect(result.warnings).to.deep.equal([]);
  });

  it('wants exactly one source, named, and a prefix that can start a variable name', () => {
    const result = validateObject(withEnvFrom([{ prefix: 'X_' }, { configMapRef: { name: 'a' }, secretRef: { name: 'b' } }, { prefix: '1X', configMapRef: { name: 'a' } }]));
    expect(result.errors.map((e) => e.path)).to.deep.equal([`${ENV_FROM}[0]`, `${ENV_FROM}[1]`, `${ENV_FROM}[2].prefix`]);
  });
});
