import type { BerthObject } from './meta.js';

/**
 * ConfigMap (`v1`) holds configuration a pod reads as files or environment variables: `data`
 * for UTF-8 text, `binaryData` for bytes (base64 in the manifest). A key is in one of the two,
 * never both; keys are file-name-like (`[-._a-zA-Z0-9]+`).
 */
export interface ConfigMap extends BerthObject {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  data?: Record<string, string>;
  /** Values are base64, as in Kubernetes. */
  binaryData?: Record<string, string>;
  immutable?: boolean;
}

/**
 * Secret (`v1`) holds sensitive data. As stored and served, `data` values are base64; a
 * manifest's `stringData` (plain text) is merged into `data` on apply and never stored as such.
 * In etcd the whole object is encrypted (AES-GCM, docs/architecture.md).
 */
export interface Secret extends BerthObject {
  apiVersion: 'v1';
  kind: 'Secret';
  type?: string;
  /** Values are base64. */
  data?: Record<string, string>;
  /** Write-only: plain-text values merged into `data` on apply; never stored nor served. */
  stringData?: Record<string, string>;
  immutable?: boolean;
}
