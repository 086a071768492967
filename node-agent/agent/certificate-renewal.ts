import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Logger } from 'winston';
import { subjectFor } from '../../proto/security/identity.js';
import { BACKDATE_MS, caCertificateHash, createKeyAndCertificateRequest, describeCertificate } from '../../proto/security/pki.js';
import { readTlsMaterial, tlsFilesIn, writeTlsMaterial, type TlsMaterial } from '../../proto/security/tls-credentials.js';

/** setTimeout takes at most 2^31-1 ms (24.8 days); a year-long certificate is re-checked daily until it is due. */
const MAX_TIMER_MS = 86_400_000;
/** A failed renewal is tried again after a tenth of the time left, between these bounds. */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * The moment a certificate is renewed: two thirds into its lifetime (the kubelet renews between
 * 70 and 90 %). The lifetime counts from when it was issued: the CA backdates notBefore for clock
 * skew, which would otherwise make a short-lived certificate due the moment it arrives.
 */
export function renewalDue(notBefore: Date, notAfter: Date): Date {
  const issued = Math.min(notBefore.getTime() + BACKDATE_MS, notAfter.getTime());
  return new Date(issued + ((notAfter.getTime() - issued) * 2) / 3);
}

/** What the renewer needs from the agent. */
export interface CertificateRenewalDeps {
  tlsDir: string;
  nodeName: string;
  /** NodeAPI.RenewNodeCertificate, called with the current certificate. */
  renew(csrPem: string): Promise<{ certificatePem: string; caPem: string }>;
  /** Called after the new files are written: the agent reconnects and serves with `material`. */
  onRenewed(material: TlsMaterial): void;
  logger: Logger;
}

/**
 * CertificateRenewer is used by the agent to keep its node certificate valid. Lifecycle: start()
 * reads the certificate in --tls-dir and schedules a renewal when two thirds of its lifetime have
 * passed (at once if that is already past); a renewal makes a new key and request here, has the
 * control plane sign it, checks the answer (same node, this key, the cluster's CA), writes the
 * files (each atomically) and hands the new credentials to the agent; then it schedules the next.
 * A failure is logged and retried. stop() cancels what is scheduled.
 */
export class CertificateRenewer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: CertificateRenewalDeps) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Renews now; resolves with the new credentials, rejects with why it could not. */
  async renewNow(): Promise<TlsMaterial> {
    const current = readTlsMaterial(tlsFilesIn(this.deps.tlsDir));
    const { keyPem, csrPem } = await createKeyAndCertificateRequest(subjectFor({ kind: 'node', nodeName: this.deps.nodeName }));
    const reply = await this.deps.renew(csrPem);
    checkRenewed(reply, keyPem, current.caPem, this.deps.nodeName);
    const material = { caPem: current.caPem, certPem: reply.certificatePem, keyPem };
    writeTlsMaterial(this.deps.tlsDir, material);
    this.deps.onRenewed(material);
    return material;
  }

  private schedule(): void {
    if (this.stopped) return;
    let delay: number;
    try {
      const { notBefore, notAfter } = describeCertificate(readTlsMaterial(tlsFilesIn(this.deps.tlsDir)).certPem);
      delay = renewalDue(notBefore, notAfter).getTime() - Date.now();
    } catch (err) {
      this.deps.logger.error('cannot read the node certificate to plan its renewal', { error: (err as Error).message });
      delay = RETRY_MAX_MS;
    }
    if (delay > 0) {
      this.timer = setTimeout(() => this.schedule(), Math.min(delay, MAX_TIMER_MS));
      this.timer.unref();
      return;
    }
    this.renewNow().then(
      ({ certPem }) => {
        this.deps.logger.info('renewed the node certificate', { notAfter: describeCertificate(certPem).notAfter.toISOString() });
        this.schedule();
      },
      (err: unknown) => this.retryLater(err),
    );
  }

  private retryLater(err: unknown): void {
    if (this.stopped) return;
    let left = 0;
    try {
      left = describeCertificate(readTlsMaterial(tlsFilesIn(this.deps.tlsDir)).certPem).notAfter.getTime() - Date.now();
    } catch {
      // unreadable: retry at the longest interval
    }
    const message = err instanceof Error ? err.message : String(err);
    if (left <= 0) this.deps.logger.error('the node certificate has expired and could not be renewed: join this machine again (berth join --force)', { error: message });
    else this.deps.logger.warn('could not renew the node certificate; trying again', { error: message, expiresInSeconds: Math.round(left / 1000) });
    this.timer = setTimeout(() => this.retry(), Math.max(RETRY_MIN_MS, Math.min(RETRY_MAX_MS, left / 10)));
    this.timer.unref();
  }

  private retry(): void {
    if (this.stopped) return;
    this.renewNow().then(
      () => this.schedule(),
      (err: unknown) => this.retryLater(err),
    );
  }
}

/** The renewed certificate must be for this key, name this node, and come from the CA the node already trusts. */
function checkRenewed(reply: { certificatePem: string; caPem: string }, keyPem: string, caPem: string, nodeName: string): void {
  if (caCertificateHash(reply.caPem) !== caCertificateHash(caPem)) throw new Error('the control plane answered with another CA than the one this node trusts');
  const cert = new X509Certificate(reply.certificatePem);
  if (!cert.verify(new X509Certificate(caPem).publicKey)) throw new Error('the renewed certificate is not signed by the cluster CA');
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('the renewed certificate is for another key');
  if (describeCertificate(reply.certificatePem).commonName !== subjectFor({ kind: 'node', nodeName }).commonName) throw new Error(`the renewed certificate does not name node ${nodeName}`);
}
