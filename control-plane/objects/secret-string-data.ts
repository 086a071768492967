import type { Secret } from '../../proto/objects/config.js';

/**
 * mergeStringData moves a Secret's `stringData` (plain text) into `data` (base64), a stringData
 * key replacing the same key of data, as Kubernetes does on write: stringData is never stored.
 */
export function mergeStringData(secret: Secret): void {
  if (!secret.stringData) return;
  const data = { ...secret.data };
  for (const [key, value] of Object.entries(secret.stringData)) data[key] = Buffer.from(value, 'utf8').toString('base64');
  delete secret.stringData;
  secret.data = data;
}
