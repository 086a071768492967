import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import type { TlsMaterial } from '../../proto/security/tls-credentials.js';
import type { NodeJoin } from '../bootstrap/node-join.js';
import type { TokenAuthenticator } from '../bootstrap/token-authenticator.js';
import { startBootstrapServer } from './bootstrap-api.js';

/** How often expired token Secrets are deleted (kube-controller-manager's token cleaner runs about as often). */
const SWEEP_INTERVAL_MS = 60_000;

/** JoinEndpointOptions mirror the control plane's join flags. */
export interface JoinEndpointOptions {
  /** --bootstrap-listen, host:port. */
  listen: string;
  /** The control plane's own credentials, served on the join port. */
  serving: TlsMaterial;
  logger: Logger;
}

/**
 * JoinEndpoint is the join endpoint of a control plane that holds the CA key. Lifecycle:
 * start() serves BootstrapAPI on its own port and deletes expired bootstrap tokens once a minute;
 * stop() ends both. A control plane without the CA key runs none (it cannot issue).
 */
export class JoinEndpoint {
  private server: grpc.Server | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  port = 0;

  constructor(
    private readonly tokens: TokenAuthenticator,
    private readonly join: NodeJoin,
    private readonly options: JoinEndpointOptions,
  ) {}

  async start(): Promise<void> {
    const { logger } = this.options;
    const { server, port } = await startBootstrapServer({ listen: this.options.listen, serving: this.options.serving, join: this.join, logger });
    this.server = server;
    this.port = port;
    this.sweeper = setInterval(() => {
      this.tokens.sweepExpired().catch((err: unknown) => logger.warn('could not delete expired bootstrap tokens', { error: err instanceof Error ? err.message : String(err) }));
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
