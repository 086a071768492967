import { existsSync } from 'node:fs';
import type { Logger } from 'winston';
import { listPrefix, RESOURCE } from '../../../proto/resources.js';
import type { ObjectStore } from '../object-store.js';
import { updateObject } from '../guarded-change.js';
import type { ValueTransformer } from '../value-transformer.js';
import { readKeyFile, writeNewKeyFile } from './key-file.js';
import { SecretCipher, SecretDecryptionError } from './secret-cipher.js';

const SECRETS_PREFIX = listPrefix(RESOURCE.secrets);

/**
 * SecretEncryption is used as the ObjectStore's value transformer: it encrypts the values of
 * Secrets (keys under /berth/secrets/) and leaves every other key as it is.
 */
export class SecretEncryption implements ValueTransformer {
  constructor(readonly cipher: SecretCipher) {}

  toStorage(key: string, value: string): string {
    return key.startsWith(SECRETS_PREFIX) ? this.cipher.encrypt(key, value) : value;
  }

  fromStorage(key: string, stored: Buffer): Buffer {
    return key.startsWith(SECRETS_PREFIX) ? this.cipher.decrypt(key, stored) : stored;
  }
}

/**
 * loadSecretEncryption reads the control plane's key file; a file that does not exist yet is
 * created with one fresh key (mode 0600), so a new cluster encrypts from its first Secret.
 */
export function loadSecretEncryption(path: string, logger: Logger): SecretEncryption {
  if (!existsSync(path)) {
    writeNewKeyFile(path);
    logger.info('created a Secret encryption key file', { path });
  }
  return new SecretEncryption(new SecretCipher(readKeyFile(path)));
}

/** ReencryptOutcome says what reencryptSecrets did: how many Secrets it rewrote, and the etcd keys it could not read (their key is not in the keyring). */
export interface ReencryptOutcome {
  rewritten: number;
  unreadable: string[];
}

/**
 * reencryptSecrets rewrites every Secret that is not encrypted with the first key of the
 * keyring (an older key, or stored before encryption was on), each guarded on the revision it
 * read: a Secret written meanwhile was encrypted with the first key anyway. This is the second
 * step of a key rotation. A Secret no key of the keyring decrypts is left as it is and named.
 */
export async function reencryptSecrets(store: ObjectStore, cipher: SecretCipher): Promise<ReencryptOutcome> {
  const stored = await store.keys.listValues(SECRETS_PREFIX);
  const outcome: ReencryptOutcome = { rewritten: 0, unreadable: [] };
  for (const [key, value] of stored) {
    if (SecretCipher.encryptedWith(Buffer.from(value, 'utf8')) === cipher.primaryKeyName) continue;
    const [namespace, name] = key.slice(SECRETS_PREFIX.length).split('/');
    if (!namespace || !name) continue;
    let secret;
    try {
      secret = await store.tryGet(RESOURCE.secrets, namespace, name);
    } catch (err) {
      if (!(err instanceof SecretDecryptionError)) throw err;
      outcome.unreadable.push(key);
      continue;
    }
    if (!secret) continue;
    const written = await store.transact(updateObject(RESOURCE.secrets, secret));
    if (written.committed) outcome.rewritten++;
  }
  return outcome;
}
