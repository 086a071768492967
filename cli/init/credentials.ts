// The certificates `berth init` makes with the new cluster CA.
import { isIP } from 'node:net';
import { CONTROL_PLANE_NAME, subjectFor } from '../../proto/security/identity.js';
import { createCertificateAuthority, issueKeyAndCertificate, type CertificateAuthority, type PemKeyPair } from '../../proto/security/pki.js';
import { CONTROL_PLANE_SERVER_NAME } from '../../proto/security/tls-credentials.js';

/** kubeadm's validity for the certificates it issues (the CA itself lasts 10 years). */
export const ISSUED_VALIDITY_MS = 365 * 86_400_000;

/** Everything init issues. */
export interface ClusterCredentials {
  ca: CertificateAuthority;
  controlPlane: PemKeyPair;
  admin: PemKeyPair;
  /** The first node's, when init also runs an agent on this machine. */
  node?: PemKeyPair;
}

/**
 * makeClusterCredentials makes the CA and issues: the control plane's certificate (its fixed
 * name, localhost, the advertise address and every --cert-sans entry, as DNS names or IPs), an
 * admin's client certificate, and the node's certificate for an agent on this machine.
 */
export async function makeClusterCredentials(options: { advertiseAddress: string; certSans: string[]; adminName: string; nodeName?: string; nodeValidityMs: number }): Promise<ClusterCredentials> {
  const ca = await createCertificateAuthority();
  const names = [CONTROL_PLANE_SERVER_NAME, 'localhost', options.advertiseAddress, '127.0.0.1', ...options.certSans];
  const unique = [...new Set(names)];
  const controlPlane = await issueKeyAndCertificate(ca, subjectFor({ kind: 'control-plane', name: CONTROL_PLANE_NAME }), {
    usage: 'server-and-client',
    validForMs: ISSUED_VALIDITY_MS,
    dnsNames: unique.filter((n) => isIP(n) === 0),
    ipAddresses: unique.filter((n) => isIP(n) !== 0),
  });
  const admin = await issueKeyAndCertificate(ca, subjectFor({ kind: 'admin', name: options.adminName }), { usage: 'client', validForMs: ISSUED_VALIDITY_MS });
  const node = options.nodeName
    ? await issueKeyAndCertificate(ca, subjectFor({ kind: 'node', nodeName: options.nodeName }), { usage: 'server-and-client', validForMs: options.nodeValidityMs, dnsNames: [options.nodeName] })
    : undefined;
  return { ca, controlPlane, admin, ...(node ? { node } : {}) };
}
