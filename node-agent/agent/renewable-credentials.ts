import * as grpc from '@grpc/grpc-js';
import type { TlsMaterial } from '../../proto/security/tls-credentials.js';

type CertificateProvider = grpc.experimental.CertificateProvider;
type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/**
 * RenewableServerCredentials is used by the agent to serve AgentAPI with a certificate it can
 * replace without restarting the server: after a renewal, update() hands the new certificate to
 * grpc-js, which serves it on every connection from then on (existing connections keep theirs).
 * Like serverCredentials, it sends the certificate with the CA and requires a client certificate
 * of the cluster CA.
 */
export class RenewableServerCredentials implements CertificateProvider {
  readonly credentials: grpc.ServerCredentials;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(private material: TlsMaterial) {
    // One object provides both the CA and the identity, so grpc-js' argument order cannot mix them up.
    this.credentials = grpc.experimental.createCertificateProviderServerCredentials(this, this, true);
  }

  update(material: TlsMaterial): void {
    this.material = material;
    for (const listener of this.caListeners) listener(this.caUpdate());
    for (const listener of this.identityListeners) listener(this.identityUpdate());
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    announce(() => this.caListeners.has(listener) && listener(this.caUpdate()));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    announce(() => this.identityListeners.has(listener) && listener(this.identityUpdate()));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  private caUpdate(): grpc.experimental.CaCertificateUpdate {
    return { caCertificate: Buffer.from(this.material.caPem) };
  }

  private identityUpdate(): grpc.experimental.IdentityCertificateUpdate {
    return { certificate: Buffer.from(this.material.certPem + this.material.caPem), privateKey: Buffer.from(this.material.keyPem) };
  }
}

/**
 * grpc-js registers its watcher of the credentials only after adding these listeners: what a
 * listener is told synchronously would be lost, and the server would refuse every connection.
 */
function announce(tell: () => void): void {
  queueMicrotask(tell);
}
