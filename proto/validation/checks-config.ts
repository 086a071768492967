import type { ConfigMap, Secret } from '../objects/config.js';
import type { CheckOutput } from './check.js';
import { quote } from './problems.js';

/** Kubernetes' limit on the data of one ConfigMap or Secret (etcd's request size keeps it small). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The keys Kubernetes requires of its built-in Secret types. */
const REQUIRED_KEYS: Record<string, readonly string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
};

/** configKey returns why `key` cannot name a ConfigMap or Secret entry (Kubernetes' wording), or undefined. */
export function configKey(key: string): string | undefined {
  if (key.length > 253) return 'must be no more than 253 characters';
  if (!CONFIG_KEY.test(key)) return "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
  if (key === '.') return "must not be '.'";
  if (key === '..') return "must not be '..'";
  if (key.startsWith('..')) return "must not start with '..'";
  return undefined;
}

/** isBase64 tells whether `text` is standard base64 with padding, as Kubernetes decodes `[]byte` fields. */
export function isBase64(text: string): boolean {
  return BASE64.test(text);
}

/** decodedLength is how many bytes a valid base64 text stands for. */
function decodedLength(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

function entryPath(field: string, key: string): string {
  return `${field}[${key}]`;
}

/**
 * checkEntries checks the keys of each map; base64 values are checked without ever quoting them
 * (a Secret's value must not reach an error message). Returns the bytes the entries hold.
 */
function checkEntries(maps: { field: string; entries: Record<string, string> | undefined; base64: boolean }[], out: CheckOutput): number {
  let bytes = 0;
  for (const { field, entries, base64 } of maps) {
    for (const [key, value] of Object.entries(entries ?? {})) {
      const reason = configKey(key);
      if (reason) out.error(entryPath(field, key), `Invalid value: ${quote(key)}: ${reason}`);
      if (base64 && !isBase64(value)) out.error(entryPath(field, key), 'Invalid value: the value is not valid base64 (standard alphabet with padding); the value itself is not shown');
      else bytes += base64 ? decodedLength(value) : Buffer.byteLength(value, 'utf8');
    }
  }
  return bytes;
}

/** checkConfigMap: valid keys, base64 binaryData, no key in both maps, at most 1 MiB. */
export function checkConfigMap(cm: ConfigMap, out: CheckOutput): void {
  const bytes = checkEntries(
    [
      { field: 'data', entries: cm.data, base64: false },
      { field: 'binaryData', entries: cm.binaryData, base64: true },
    ],
    out,
  );
  for (const key of Object.keys(cm.binaryData ?? {})) {
    if (cm.data && Object.hasOwn(cm.data, key)) out.error(entryPath('data', key), `Invalid value: ${quote(key)}: duplicate of key present in binaryData`);
  }
  if (bytes > MAX_CONFIG_BYTES) out.error('', `Too long: must have at most ${MAX_CONFIG_BYTES} bytes`);
}

/**
 * checkSecret: valid keys in data (base64) and stringData (plain text), at most 1 MiB once
 * stringData is merged in (a stringData key replaces the same key of data, as in Kubernetes).
 */
export function checkSecret(secret: Secret, out: CheckOutput): void {
  const data = Object.fromEntries(Object.entries(secret.data ?? {}).filter(([key]) => !Object.hasOwn(secret.stringData ?? {}, key)));
  const bytes = checkEntries(
    [
      { field: 'data', entries: data, base64: true },
      { field: 'stringData', entries: secret.stringData, base64: false },
    ],
    out,
  );
  if (secret.type === '') out.error('type', 'Required value');
  const keys = new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})]);
  for (const key of REQUIRED_KEYS[secret.type ?? 'Opaque'] ?? []) if (!keys.has(key)) out.error(entryPath('data', key), 'Required value');
  if (bytes > MAX_CONFIG_BYTES) out.error('data', `Too long: must have at most ${MAX_CONFIG_BYTES} bytes`);
}
