import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { parseKeyFile } from '../../../control-plane/store/encryption/key-file.js';
import { ENCRYPTED_PREFIX, SecretCipher, SecretDecryptionError } from '../../../control-plane/store/encryption/secret-cipher.js';
import { SecretEncryption } from '../../../control-plane/store/encryption/secret-encryption.js';
import { mergeStringData } from '../../../control-plane/objects/secret-string-data.js';
import type { Secret } from '../../../proto/objects/config.js';

const KEY = '/berth/secrets/default/db';
const PLAIN = JSON.stringify({ kind: 'Secret', data: { password: Buffer.from('hunter2-very-secret').toString('base64') } });

function key(name: string): { name: string; key: Buffer } {
  return { name, key: randomBytes(32) };
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('Secret encryption at rest', () => {
  it('stores no plaintext: neither the JSON nor the base64 value appears in what is written', () => {
    const stored = new SecretCipher([key('k1')]).encrypt(KEY, PLAIN);
    expect(stored.startsWith(`${ENCRYPTED_PREFIX}k1:`)).to.equal(true);
    expect(stored).not.to.include('hunter2');
    expect(stored).not.to.include(Buffer.from('hunter2-very-secret').toString('base64'));
    expect(stored).not.to.include('"kind"');
  });

  it('reads back what it wrote, and two writes of the same value differ (a fresh nonce each)', () => {
    const cipher = new SecretCipher([key('k1')]);
    const a = cipher.encrypt(KEY, PLAIN);
    expect(a).not.to.equal(cipher.encrypt(KEY, PLAIN));
    expect(cipher.decrypt(KEY, Buffer.from(a)).toString('utf8')).to.equal(PLAIN);
  });

  it('rotation: the first key encrypts, every listed key decrypts', () => {
    const old = key('old');
    const written = new SecretCipher([old]).encrypt(KEY, PLAIN);
    const rotated = new SecretCipher([key('new'), old]);
    expect(rotated.decrypt(KEY, Buffer.from(written)).toString('utf8')).to.equal(PLAIN);
    expect(SecretCipher.encryptedWith(Buffer.from(written))).to.equal('old');
    expect(SecretCipher.encryptedWith(Buffer.from(rotated.encrypt(KEY, PLAIN)))).to.equal('new');
  });

  it('refuses a value whose key is gone, moved to another Secret, or changed, naming the key and never the value', () => {
    const k1 = key('k1');
    const written = new SecretCipher([k1]).encrypt(KEY, PLAIN);
    const gone = thrown(() => new SecretCipher([key('k2')]).decrypt(KEY, Buffer.from(written)));
    expect(gone).to.be.instanceOf(SecretDecryptionError);
    expect(gone.message).to.equal(`the Secret at ${KEY} was encrypted with key "k1", which the control plane does not have: add that key back to its encryption key file`);
    const moved = thrown(() => new SecretCipher([k1]).decrypt('/berth/secrets/default/other', Buffer.from(written)));
    expect(moved.message).to.match(/does not decrypt with key "k1"/);
    const tampered = `${written.slice(0, -6)}AAAAA=`;
    expect(thrown(() => new SecretCipher([k1]).decrypt(KEY, Buffer.from(tampered))).message).not.to.include('hunter2');
  });

  it('passes a value stored before encryption was configured through, so it can be re-encrypted', () => {
    expect(new SecretCipher([key('k1')]).decrypt(KEY, Buffer.from(PLAIN)).toString('utf8')).to.equal(PLAIN);
  });

  it('encrypts only the values of Secrets', () => {
    const encryption = new SecretEncryption(new SecretCipher([key('k1')]));
    expect(encryption.toStorage('/berth/configmaps/default/db', PLAIN)).to.equal(PLAIN);
    expect(encryption.toStorage(KEY, PLAIN)).not.to.equal(PLAIN);
  });
});

describe('the encryption key file', () => {
  const a = randomBytes(32).toString('base64');
  const b = randomBytes(32).toString('base64');

  it('reads one key a line, first first, skipping comments and blank lines', () => {
    const keys = parseKeyFile(`# keys\nnew:${b}\n\nold:${a}\n`, 'keys.txt');
    expect(keys.map((k) => k.name)).to.deep.equal(['new', 'old']);
    expect(keys[0]?.key.toString('base64')).to.equal(b);
  });

  it('names the file and line of a bad key without printing the key material', () => {
    const short = Buffer.from('too-short').toString('base64');
    const err = thrown(() => parseKeyFile(`k1:${a}\nk2:${short}\n`, 'keys.txt'));
    expect(err.message).to.equal('keys.txt line 2: key "k2" must be 32 bytes in standard base64 (e.g. from: head -c 32 /dev/urandom | base64)');
    expect(thrown(() => parseKeyFile(`k1:${a}\nk1:${b}\n`, 'keys.txt')).message).to.equal('keys.txt line 2: key "k1" is listed twice');
    expect(thrown(() => parseKeyFile('# nothing\n', 'keys.txt')).message).to.match(/^keys.txt holds no key/);
    expect(thrown(() => parseKeyFile(`${a}\n`, 'keys.txt')).message).not.to.include(a);
  });
});

describe('Secret stringData', () => {
  it('is merged into data as base64, replacing the same key, and not kept', () => {
    const secret: Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: Buffer.from('old').toString('base64'), b: 'Yg==' }, stringData: { a: 'new', c: 'plain text' } };
    mergeStringData(secret);
    expect(secret.stringData).to.equal(undefined);
    expect(secret.data).to.deep.equal({ a: Buffer.from('new').toString('base64'), b: 'Yg==', c: Buffer.from('plain text').toString('base64') });
  });
});
