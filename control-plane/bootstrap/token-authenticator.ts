import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'winston';
import type { Secret } from '../../proto/objects/config.js';
import { RESOURCE } from '../../proto/resources.js';
import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  bootstrapTokenInfo,
  bootstrapTokenSecretName,
  isExpired,
  parseBootstrapToken,
  type BootstrapTokenInfo,
} from '../../proto/security/bootstrap-token.js';
import { NotFoundError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';

/** Raised when a bootstrap token does not authenticate its bearer; the message says why and what to do. */
export class BootstrapTokenRefusedError extends Error {
  override readonly name = 'BootstrapTokenRefusedError';
}

/**
 * TokenAuthenticator is used by the bootstrap service to check the token a joining machine
 * presents against the token Secrets in etcd. An expired token is deleted when it is presented
 * (and by sweepExpired), so it can never be used again even if the clocks are later set back.
 */
export class TokenAuthenticator {
  constructor(
    private readonly store: ObjectStore,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Returns the token's description when `text` is a valid, unexpired token usable for authentication; else throws BootstrapTokenRefusedError. */
  async authenticate(text: string): Promise<BootstrapTokenInfo> {
    const token = parseBootstrapToken(text);
    if (!token) throw new BootstrapTokenRefusedError('the token is not of the form <6 characters>.<16 characters> of [a-z0-9], as berth token create prints it');
    const unknown = new BootstrapTokenRefusedError(`bootstrap token "${token.id}" is not valid: no such token (it may have been deleted or have expired), or its secret does not match`);
    const secret = (await this.store.tryGet(RESOURCE.secrets, BOOTSTRAP_TOKEN_NAMESPACE, bootstrapTokenSecretName(token.id))) as Secret | undefined;
    const info = secret ? bootstrapTokenInfo(secret) : undefined;
    if (!info || !sameSecret(info.secret, token.secret)) throw unknown;
    if (isExpired(info, this.now())) {
      await this.deleteExpired(info.id);
      throw new BootstrapTokenRefusedError(`bootstrap token "${token.id}" expired at ${info.expires?.toISOString() ?? '?'}; create a new one with berth token create`);
    }
    if (!info.usages.includes('authentication')) throw new BootstrapTokenRefusedError(`bootstrap token "${token.id}" may not be used for authentication (its Secret lacks usage-bootstrap-authentication: "true")`);
    const { secret: _secret, ...rest } = info;
    return rest;
  }

  /** Deletes every expired token Secret (kube-controller-manager's token cleaner); returns the ids removed. */
  async sweepExpired(): Promise<string[]> {
    const { items } = await this.store.list(RESOURCE.secrets, BOOTSTRAP_TOKEN_NAMESPACE);
    const now = this.now();
    const removed: string[] = [];
    for (const item of items as Secret[]) {
      if (item.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) continue;
      const info = bootstrapTokenInfo(item);
      if (info && isExpired(info, now)) {
        await this.deleteExpired(info.id);
        removed.push(info.id);
      }
    }
    return removed;
  }

  private async deleteExpired(id: string): Promise<void> {
    try {
      await this.store.delete(RESOURCE.secrets, BOOTSTRAP_TOKEN_NAMESPACE, bootstrapTokenSecretName(id));
      this.logger.info('deleted an expired bootstrap token', { id });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}

/** Compares in constant time, so the time a refusal takes tells nothing about how much of the secret matched. */
function sameSecret(stored: string, presented: string): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
