import { subjectFor } from '../../proto/security/identity.js';
import { signCertificateRequest, type CertificateAuthority } from '../../proto/security/pki.js';
import { dns1123Subdomain } from '../../proto/validation/names.js';
import { InvalidError } from '../errors.js';

/** The kubelet's client certificates last a year; node certificates here too, unless --node-certificate-validity says otherwise. */
export const DEFAULT_NODE_CERTIFICATE_VALIDITY_MS = 365 * 86_400_000;
/** A PKCS#10 request for a P-256 or RSA-4096 key is well under this; anything larger is not one. */
const MAX_CSR_BYTES = 16 * 1024;

/**
 * NodeCertificateIssuer is used by the control plane to issue node certificates, at join and at
 * renewal: the subject is always the node identity the control plane decided on (never what the
 * request asks for), the only DNS name is the node name (the control plane dials agents by it),
 * and the usage is server-and-client (the agent serves AgentAPI and calls NodeAPI with it).
 */
export class NodeCertificateIssuer {
  constructor(
    private readonly ca: CertificateAuthority,
    readonly validForMs: number = DEFAULT_NODE_CERTIFICATE_VALIDITY_MS,
  ) {}

  /** The CA certificate, which goes back with every issued certificate. */
  get caPem(): string {
    return this.ca.certPem;
  }

  /** Issues `nodeName`'s certificate for the key in `csrPem`; a bad name or request is an InvalidError naming the field. */
  async issue(nodeName: string, csrPem: string): Promise<string> {
    checkNodeName(nodeName);
    if (Buffer.byteLength(csrPem) > MAX_CSR_BYTES) throw new InvalidError(`csr_pem: ${Buffer.byteLength(csrPem)} bytes is more than a certificate signing request takes (at most ${MAX_CSR_BYTES})`);
    return signCertificateRequest(this.ca, csrPem, subjectFor({ kind: 'node', nodeName }), { usage: 'server-and-client', validForMs: this.validForMs, dnsNames: [nodeName] });
  }
}

/** A node name is a DNS-1123 subdomain, as Kubernetes requires of Node names. */
export function checkNodeName(nodeName: string): void {
  if (nodeName === '') throw new InvalidError('node_name: Required value');
  const reason = dns1123Subdomain(nodeName);
  if (reason) throw new InvalidError(`node_name: Invalid value ${JSON.stringify(nodeName.slice(0, 300))}: ${reason}`);
}
