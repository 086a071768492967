// The control plane's credentials, read from --pki-dir: ca.crt, tls.crt and tls.key (its own
// certificate, for serving and for calling agents) and, optionally, ca.key (to issue certificates).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificateAuthority } from '../../proto/security/pki.js';
import { readTlsMaterial, tlsFilesIn, type TlsMaterial } from '../../proto/security/tls-credentials.js';
import { checkTlsMaterial } from '../../proto/security/tls-material-check.js';

/** The file name of the CA's private key inside a PKI directory. */
export const CA_KEY_FILE = 'ca.key';

/**
 * ControlPlanePki is used by the control plane to serve ClusterAPI and NodeAPI (its certificate,
 * client certificates checked against the CA), to call agents (the same certificate as a client
 * certificate), and, when it holds the CA key, to issue certificates (join, renewal).
 */
export interface ControlPlanePki {
  /** The cluster CA certificate and the control plane's own certificate and key. */
  tls: TlsMaterial;
  /** The CA with its key, or undefined when the PKI directory has no ca.key: then this control plane serves but cannot issue. */
  authority?: CertificateAuthority;
}

/** Reads and checks `dir`; an error names the missing, unreadable or mismatched file. */
export function loadControlPlanePki(dir: string): ControlPlanePki {
  const paths = tlsFilesIn(dir);
  const tls = readTlsMaterial(paths);
  checkTlsMaterial(tls, paths);
  const keyPem = readCaKey(join(dir, CA_KEY_FILE));
  if (keyPem === undefined) return { tls };
  checkCaKey(tls.caPem, keyPem, paths.caFile, join(dir, CA_KEY_FILE));
  return { tls, authority: { certPem: tls.caPem, keyPem } };
}

/** A CA key of another CA would issue certificates no member trusts: refuse it at start. */
function checkCaKey(caPem: string, keyPem: string, caFile: string, keyFile: string): void {
  let matches: boolean;
  try {
    matches = new X509Certificate(caPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch (err) {
    throw new Error(`${keyFile}: not a usable private key (${(err as Error).message})`);
  }
  if (!matches) throw new Error(`${keyFile}: this key does not belong to the CA certificate in ${caFile}`);
}

/** The CA key, or undefined when the file does not exist (any other problem is an error naming it). */
function readCaKey(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new Error(`${path}: cannot read (${code ?? (err as Error).message})`);
  }
  if (!text.includes('-----BEGIN PRIVATE KEY-----')) throw new Error(`${path}: not a PEM private key`);
  return text.endsWith('\n') ? text : `${text}\n`;
}
