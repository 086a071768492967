// A check run when credentials are loaded, so that a wrong file is reported by its name at start
// instead of as an opaque TLS handshake failure on every call later.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { TlsFilePaths, TlsMaterial } from './tls-credentials.js';

/** Where each part of a TlsMaterial came from, as the user would name it (a file path, a config field). */
export type TlsMaterialSources = TlsFilePaths;

/**
 * Throws an error naming the source at fault when the certificate was not issued by the CA, has
 * expired, or does not belong to the key.
 */
export function checkTlsMaterial(material: TlsMaterial, sources: TlsMaterialSources): void {
  const ca = parseCertificate(material.caPem, sources.caFile);
  const cert = parseCertificate(material.certPem, sources.certFile);
  if (!cert.verify(ca.publicKey)) throw new Error(`${sources.certFile}: this certificate was not issued by the CA in ${sources.caFile}`);
  if (Date.parse(cert.validTo) < Date.now()) throw new Error(`${sources.certFile}: this certificate expired on ${cert.validTo}`);
  let key;
  try {
    key = createPrivateKey(material.keyPem);
  } catch (err) {
    throw new Error(`${sources.keyFile}: not a usable private key (${(err as Error).message})`);
  }
  if (!cert.checkPrivateKey(key)) throw new Error(`${sources.keyFile}: this key does not belong to the certificate in ${sources.certFile}`);
}

function parseCertificate(pem: string, source: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new Error(`${source}: not a usable certificate (${(err as Error).message})`);
  }
}
