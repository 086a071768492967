import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * How a Secret is kept in etcd: the whole stored object (its JSON) encrypted with AES-256-GCM.
 * A stored value reads `berth:enc:aesgcm:v1:<key name>:<base64 of nonce, ciphertext, tag>`;
 * the etcd key is the authenticated data, so a value copied under another Secret's key does
 * not decrypt. Error messages name keys and etcd keys, never a value.
 */

/** The prefix of every encrypted value; what follows is `<key name>:<payload>`. */
export const ENCRYPTED_PREFIX = 'berth:enc:aesgcm:v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** AES-256: a key is 32 bytes. */
export const KEY_BYTES = 32;

/** SecretKey is one named AES-256 key of the keyring. */
export interface SecretKey {
  name: string;
  key: Buffer;
}

/** SecretDecryptionError is used when a stored Secret cannot be read back; it says which key to restore. */
export class SecretDecryptionError extends Error {
  override readonly name = 'SecretDecryptionError';
}

/**
 * SecretCipher is used to encrypt Secrets on their way to etcd and decrypt them on the way
 * back. Rotation: the keyring lists several keys; the first encrypts every write, any of them
 * decrypts (the key's name is in the stored value).
 */
export class SecretCipher {
  private readonly byName: Map<string, Buffer>;

  constructor(private readonly keys: readonly SecretKey[]) {
    if (keys.length === 0) throw new Error('the Secret encryption keyring is empty: give at least one key');
    for (const k of keys) {
      if (k.key.length !== KEY_BYTES) throw new Error(`Secret encryption key "${k.name}" has ${k.key.length} bytes; AES-256 needs ${KEY_BYTES}`);
      if (!/^[-_a-zA-Z0-9]+$/.test(k.name)) throw new Error(`Secret encryption key name "${k.name}" may only hold letters, digits, '-' and '_'`);
    }
    this.byName = new Map(keys.map((k) => [k.name, k.key]));
    if (this.byName.size !== keys.length) throw new Error('two Secret encryption keys have the same name');
  }

  /** The name of the key that encrypts new writes. */
  get primaryKeyName(): string {
    return (this.keys[0] as SecretKey).name;
  }

  /** encrypt turns the plain stored form of the Secret at etcd key `key` into its encrypted form. */
  encrypt(key: string, plain: string): string {
    const primary = this.keys[0] as SecretKey;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', primary.key, nonce);
    cipher.setAAD(Buffer.from(key, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${ENCRYPTED_PREFIX}${primary.name}:${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64')}`;
  }

  /**
   * decrypt reads a stored value back. A value without the prefix was written before encryption
   * was configured and is returned as it is (re-encryption turns it into an encrypted one).
   */
  decrypt(key: string, stored: Buffer): Buffer {
    const text = stored.toString('utf8');
    if (!text.startsWith(ENCRYPTED_PREFIX)) return stored;
    const rest = text.slice(ENCRYPTED_PREFIX.length);
    const colon = rest.indexOf(':');
    const name = rest.slice(0, Math.max(0, colon));
    const secretKey = this.byName.get(name);
    if (colon < 0 || !secretKey) throw new SecretDecryptionError(`the Secret at ${key} was encrypted with key "${name}", which the control plane does not have: add that key back to its encryption key file`);
    const payload = Buffer.from(rest.slice(colon + 1), 'base64');
    if (payload.length < NONCE_BYTES + TAG_BYTES) throw new SecretDecryptionError(`the Secret at ${key} is damaged: its encrypted value is too short`);
    const decipher = createDecipheriv('aes-256-gcm', secretKey, payload.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(key, 'utf8'));
    decipher.setAuthTag(payload.subarray(payload.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(payload.subarray(NONCE_BYTES, payload.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new SecretDecryptionError(`the Secret at ${key} does not decrypt with key "${name}": the key file holds a different key under that name, or the value was changed`);
    }
  }

  /** encryptedWith is the name of the key a stored value was encrypted with; undefined for a plain (unencrypted) value. */
  static encryptedWith(stored: Buffer): string | undefined {
    const text = stored.toString('utf8', 0, Math.min(stored.length, 200));
    if (!text.startsWith(ENCRYPTED_PREFIX)) return undefined;
    const rest = text.slice(ENCRYPTED_PREFIX.length);
    return rest.slice(0, Math.max(0, rest.indexOf(':')));
  }
}
