import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import type { CertificateAuthority } from '../../proto/security/pki.js';
import type { TlsMaterial } from '../../proto/security/tls-credentials.js';
import type { ObjectStore } from '../store/object-store.js';
import { startBootstrapServer } from './bootstrap-server.js';
import { NodeCertificateIssuer } from './node-certificates.js';
import { NodeJoin } from './node-join.js';
import { TokenAuthenticator } from './token-authenticator.js';

/** How often expired token Secrets are deleted (kube-controller-manager's token cleaner runs about as often). */
const SWEEP_INTERVAL_MS = 60_000;

/** BootstrapServiceOptions mirror the control plane's join flags. */
export interface BootstrapServiceOptions {
  /** --bootstrap-listen, host:port. */
  listen: string;
  /** The control plane's own credentials, served on the join port. */
  serving: TlsMaterial;
  authority: CertificateAuthority;
  /** The port NodeAPI is served on, told to joining machines. */
  nodeApiPort: number;
  nodeCertificateValidityMs: number;
  logger: Logger;
}

/**
 * BootstrapService is the join endpoint of a control plane that holds the CA key. Lifecycle:
 * start() serves BootstrapAPI on its own port and deletes expired bootstrap tokens once a minute;
 * stop() ends both. A control plane without the CA key runs none (it cannot issue).
 */
export class BootstrapService {
  private server: grpc.Server | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  port = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: BootstrapServiceOptions,
  ) {}

  async start(): Promise<void> {
    const { logger } = this.options;
    const tokens = new TokenAuthenticator(this.store, logger);
    const issuer = new NodeCertificateIssuer(this.options.authority, this.options.nodeCertificateValidityMs);
    const join = new NodeJoin(this.store, tokens, issuer, logger, this.options.nodeApiPort);
    const { server, port } = await startBootstrapServer({ listen: this.options.listen, serving: this.options.serving, join, logger });
    this.server = server;
    this.port = port;
    this.sweeper = setInterval(() => {
      tokens.sweepExpired().catch((err: unknown) => logger.warn('could not delete expired bootstrap tokens', { error: err instanceof Error ? err.message : String(err) }));
    }, SWEEP_INTERVAL_MS);
    this.sweeper.unref();
    logger.info('join endpoint serving (BootstrapAPI, TLS, bootstrap tokens)', { listen: this.options.listen, port });
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.server?.forceShutdown();
    this.server = undefined;
  }
}
