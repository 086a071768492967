// Bootstrap tokens, as kubeadm makes them: `<id>.<secret>` with a 6-character public id and a
// 16-character secret, each of [a-z0-9], stored as a Secret `kube-system/bootstrap-token-<id>` of
// type `bootstrap.kubernetes.io/token`. A joining machine presents the whole token; the control
// plane finds the Secret by the id and compares the secret. Deleting the Secret revokes the token.
import { randomInt } from 'node:crypto';
import type { Secret } from '../objects/config.js';

export const BOOTSTRAP_TOKEN_NAMESPACE = 'kube-system';
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
/** kubeadm's default lifetime of a token: a day. */
export const DEFAULT_BOOTSTRAP_TOKEN_TTL_MS = 24 * 3_600_000;

const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const ID_PATTERN = /^[a-z0-9]{6}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A bootstrap token split into its public id and its secret. */
export interface BootstrapToken {
  id: string;
  secret: string;
}

/** What a token Secret says about its token (everything but the secret). */
export interface BootstrapTokenInfo {
  id: string;
  /** Absent: the token never expires (kubeadm's --ttl 0). */
  expires?: Date;
  description: string;
  usages: string[];
}

/** Makes a new random token (crypto-strong, uniform over the alphabet). */
export function generateBootstrapToken(): BootstrapToken {
  const pick = (n: number): string => Array.from({ length: n }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return { id: pick(6), secret: pick(16) };
}

/** The token as a user types it. */
export function formatBootstrapToken(token: BootstrapToken): string {
  return `${token.id}.${token.secret}`;
}

/** Reads `<id>.<secret>`; undefined when the text does not have that form. */
export function parseBootstrapToken(text: string): BootstrapToken | undefined {
  const m = TOKEN_PATTERN.exec(text.trim());
  return m ? { id: m[1] ?? '', secret: m[2] ?? '' } : undefined;
}

/** Whether `id` has the form of a token id (what `berth token delete` takes). */
export function isBootstrapTokenId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** The name of the Secret that holds the token with this id. */
export function bootstrapTokenSecretName(id: string): string {
  return `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`;
}

/**
 * The Secret that stores `token`, with kubeadm's data keys. `expires` undefined: never expires.
 * The usage is authentication only: Berth has no use for kubeadm's signing of a discovery ConfigMap.
 */
export function bootstrapTokenSecret(token: BootstrapToken, options: { expires?: Date; description?: string }): Secret {
  const data: Record<string, string> = {
    'token-id': token.id,
    'token-secret': token.secret,
    'usage-bootstrap-authentication': 'true',
    ...(options.expires ? { expiration: options.expires.toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
    ...(options.description ? { description: options.description } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: bootstrapTokenSecretName(token.id), namespace: BOOTSTRAP_TOKEN_NAMESPACE },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

/** The decoded (plain-text) data of a Secret. */
export function secretText(secret: Secret): Record<string, string> {
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/**
 * What a Secret says about its token, or undefined when it is not a well-formed token Secret (of
 * the type, named after the id it holds, with an id and a secret of the right form and, if it has
 * one, an expiration that is a date). Such a Secret authenticates nobody.
 */
export function bootstrapTokenInfo(secret: Secret): (BootstrapTokenInfo & { secret: string }) | undefined {
  if (secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return undefined;
  const data = secretText(secret);
  const id = data['token-id'] ?? '';
  const tokenSecret = data['token-secret'] ?? '';
  if (!parseBootstrapToken(`${id}.${tokenSecret}`) || secret.metadata.name !== bootstrapTokenSecretName(id)) return undefined;
  let expires: Date | undefined;
  if (data.expiration !== undefined) {
    expires = new Date(data.expiration);
    if (Number.isNaN(expires.getTime())) return undefined;
  }
  const usages = Object.keys(data).filter((k) => k.startsWith('usage-bootstrap-') && data[k] === 'true').map((k) => k.slice('usage-bootstrap-'.length));
  return { id, secret: tokenSecret, description: data.description ?? '', usages, ...(expires ? { expires } : {}) };
}

/** Whether the token has expired at `now`. */
export function isExpired(info: Pick<BootstrapTokenInfo, 'expires'>, now: Date): boolean {
  return info.expires !== undefined && info.expires.getTime() <= now.getTime();
}
