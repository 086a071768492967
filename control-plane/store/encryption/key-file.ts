import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { KEY_BYTES } from './secret-cipher.js';
import type { SecretKey } from './secret-cipher.js';

/**
 * The encryption key file of the control plane: one key per line, `<name>:<base64 of 32
 * bytes>`; blank lines and lines starting with `#` are ignored. The first key encrypts, every
 * key decrypts. Errors name the file and line, never the key material.
 */

/** parseKeyFile reads the keys of a key file's text; `source` names the file in errors. */
export function parseKeyFile(text: string, source: string): SecretKey[] {
  const keys: SecretKey[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const where = `${source} line ${i + 1}`;
    if (colon <= 0) throw new Error(`${where}: expected <name>:<base64 of ${KEY_BYTES} bytes>`);
    const name = line.slice(0, colon);
    const encoded = line.slice(colon + 1);
    if (!/^[-_a-zA-Z0-9]+$/.test(name)) throw new Error(`${where}: the key name may only hold letters, digits, '-' and '_'`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES || key.toString('base64') !== encoded) throw new Error(`${where}: key "${name}" must be ${KEY_BYTES} bytes in standard base64 (e.g. from: head -c 32 /dev/urandom | base64)`);
    if (keys.some((k) => k.name === name)) throw new Error(`${where}: key "${name}" is listed twice`);
    keys.push({ name, key });
  });
  if (keys.length === 0) throw new Error(`${source} holds no key: add a line <name>:<base64 of ${KEY_BYTES} bytes>`);
  return keys;
}

/** readKeyFile reads a key file, refusing one that others than its owner can read. */
export function readKeyFile(path: string): SecretKey[] {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new Error(`${path} is readable by others (mode ${mode.toString(8)}): chmod 600 it`);
  return parseKeyFile(readFileSync(path, 'utf8'), path);
}

/** newKeyLine is a fresh random key as a key file line. */
export function newKeyLine(name: string): string {
  return `${name}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/** writeNewKeyFile creates a key file (mode 0600) holding one fresh key; an existing file is left alone. */
export function writeNewKeyFile(path: string, name = 'key1'): void {
  try {
    writeFileSync(path, `# Secret encryption keys: the first encrypts, all decrypt.\n${newKeyLine(name)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  chmodSync(path, 0o600);
}
