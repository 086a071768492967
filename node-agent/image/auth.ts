/**
 * Registry authentication (distribution's token spec): a 401 carries a WWW-Authenticate
 * challenge; for Bearer we fetch a token from its realm (anonymously, or with basic
 * credentials) for the needed scope and retry; for Basic we send the credentials.
 */
import { RegistryError, UnauthorizedError } from './errors.js';
import { MAX_ERROR_BODY_BYTES, readCapped } from './http-body.js';
import { httpGet, type HttpResponse } from './http-get.js';

/** Credentials for a registry host, used for Basic challenges and token requests. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

/** One challenge from a WWW-Authenticate header. */
export interface AuthChallenge {
  scheme: string; // lowercased: 'bearer', 'basic'
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header (RFC 7235 auth-params, quoted or token values). */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  const re = /\s*([A-Za-z][\w.-]*)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?\s*,?/gy;
  let current: AuthChallenge | undefined;
  let m: RegExpExecArray | null;
  while (re.lastIndex < header.length && (m = re.exec(header)) !== null) {
    const [, key, quoted, bare] = m;
    if (key === undefined) break;
    if (quoted === undefined && bare === undefined) {
      // A bare token starts a new challenge ("Bearer realm=…").
      current = { scheme: key.toLowerCase(), params: {} };
      out.push(current);
      // The scheme is followed by a space, not a comma: re-scan from here for params.
      continue;
    }
    if (current === undefined) break;
    current.params[key.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
  }
  return out;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** TokenCache keeps bearer tokens per (realm, service, scope) until shortly before they expire. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();

  get(key: string): string | undefined {
    const t = this.tokens.get(key);
    if (t === undefined || t.expiresAt <= Date.now()) return undefined;
    return t.token;
  }

  set(key: string, token: string, expiresInSec: number): void {
    // Refresh a little early so a token does not expire mid-pull.
    this.tokens.set(key, { token, expiresAt: Date.now() + Math.max(expiresInSec - 10, 1) * 1000 });
  }
}

export function basicAuthorization(c: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/**
 * Answers a 401: returns the Authorization header value to retry with, or throws
 * UnauthorizedError when no challenge can be met.
 */
export async function authorize(
  challengeHeader: string | null,
  scope: string,
  reference: string,
  credentials: RegistryCredentials | undefined,
  cache: TokenCache,
): Promise<string> {
  const challenges = parseWwwAuthenticate(challengeHeader ?? '');
  const bearer = challenges.find((c) => c.scheme === 'bearer');
  if (bearer !== undefined) {
    const realm = bearer.params['realm'];
    if (!realm) throw new RegistryError(`registry sent a Bearer challenge without realm for ${reference}`);
    const service = bearer.params['service'] ?? '';
    const key = `${realm}|${service}|${scope}|${credentials?.username ?? ''}`;
    const cached = cache.get(key);
    if (cached !== undefined) return `Bearer ${cached}`;
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (credentials) headers['authorization'] = basicAuthorization(credentials);
    let res: HttpResponse;
    try {
      res = await httpGet(url, { headers, timeoutMs: 30_000 });
    } catch (e) {
      throw new UnauthorizedError(reference, `token server ${url.origin} unreachable (${errorText(e)})`);
    }
    let text: string;
    try {
      text = (await readCapped(res, MAX_ERROR_BODY_BYTES, `token from ${url.origin}`)).toString('utf8');
    } catch (e) {
      throw new UnauthorizedError(reference, `token server ${url.origin}: ${errorText(e)}`);
    }
    if (!res.ok) throw new UnauthorizedError(reference, `token server answered ${res.status}: ${text.slice(0, 200)}`);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new UnauthorizedError(reference, 'token server answered with something that is not JSON');
    }
    const token = typeof body.token === 'string' ? body.token : body.access_token;
    if (typeof token !== 'string' || token === '') throw new UnauthorizedError(reference, 'token server sent no token');
    cache.set(key, token, typeof body.expires_in === 'number' ? body.expires_in : 60);
    return `Bearer ${token}`;
  }
  if (challenges.some((c) => c.scheme === 'basic') && credentials) return basicAuthorization(credentials);
  throw new UnauthorizedError(
    reference,
    challenges.length === 0 ? 'registry answered 401 without a challenge' : 'registry requires credentials',
  );
}

/** A short description of a request failure, with the network error code (ECONNREFUSED…). */
export function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  const err = cause instanceof Error ? cause : e;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
