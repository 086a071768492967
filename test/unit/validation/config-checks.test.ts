import { expect } from 'chai';
import { validateObject } from '../../../proto/validation/index.js';

function configMap(rest: Record<string, unknown>) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, ...rest };
}
function secret(rest: Record<string, unknown>) {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, ...rest };
}
const problems = (o: unknown) => validateObject(o).errors.map((e) => [e.path, e.message]);

describe('validateObject: ConfigMap', () => {
  it('accepts data, base64 binaryData and immutable', () => {
    expect(validateObject(configMap({ data: { 'app.properties': 'a=1', MODE: 'x' }, binaryData: { 'logo.png': 'iVBORw0KGgo=' }, immutable: true }))).to.deep.equal({ errors: [], warnings: [] });
  });

  it("refuses keys that cannot be file names, in Kubernetes' words", () => {
    expect(problems(configMap({ data: { 'a b': '1', '..x': '2' } }))).to.deep.equal([
      ['data[a b]', `Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`],
      ['data[..x]', `Invalid value: "..x": must not start with '..'`],
    ]);
  });

  it('refuses a key in both data and binaryData, and binaryData that is not base64', () => {
    expect(problems(configMap({ data: { k: 'v' }, binaryData: { k: 'dg==', bad: 'not base64!' } }))).to.deep.equal([
      ['binaryData[bad]', 'Invalid value: the value is not valid base64 (standard alphabet with padding); the value itself is not shown'],
      ['data[k]', 'Invalid value: "k": duplicate of key present in binaryData'],
    ]);
  });

  it('refuses more than 1 MiB of data', () => {
    expect(problems(configMap({ data: { a: 'x'.repeat(600 * 1024), b: 'y'.repeat(500 * 1024) } }))).to.deep.equal([['', 'Too long: must have at most 1048576 bytes']]);
  });
});

describe('validateObject: Secret', () => {
  it('accepts base64 data, stringData and a type', () => {
    expect(validateObject(secret({ type: 'Opaque', data: { password: 'aHVudGVyMg==' }, stringData: { user: 'admin' } }))).to.deep.equal({ errors: [], warnings: [] });
  });

  it('refuses data that is not base64 without ever quoting the value', () => {
    const result = validateObject(secret({ data: { password: 'hunter2!' } }));
    expect(result.errors.map((e) => e.path)).to.deep.equal(['data[password]']);
    expect(JSON.stringify(result)).not.to.include('hunter2');
  });

  it('counts stringData toward the 1 MiB limit and checks its keys', () => {
    expect(problems(secret({ stringData: { 'bad/key': 'x', big: 'z'.repeat(1024 * 1024) } }))).to.deep.equal([
      ['stringData[bad/key]', `Invalid value: "bad/key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`],
      ['data', 'Too long: must have at most 1048576 bytes'],
    ]);
  });
});

describe('validateObject: a Secret value of the wrong type', () => {
  it('is named by its path, its value hidden', () => {
    const result = validateObject(secret({ stringData: { pin: 123456 } }));
    expect(result.errors).to.deep.equal([{ path: 'stringData.pin', message: 'Invalid value: "<hidden>": must be of type string' }]);
  });
});

describe('validateObject: built-in Secret types', () => {
  it('require their keys, from data or stringData', () => {
    expect(problems(secret({ type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c' } }))).to.deep.equal([['data[tls.key]', 'Required value']]);
    expect(problems(secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'Yw==' }, stringData: { 'tls.key': 'k' } }))).to.deep.equal([]);
  });
});
