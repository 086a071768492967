/**
 * OCI distribution client: fetches manifests and blobs for one repository, trying a
 * registry's endpoints in order (mirrors, then origin) and answering auth challenges.
 * Verifying content is the caller's job, except manifests fetched by digest, which are
 * checked here so a bad mirror can be skipped.
 */
import { Transform, type Readable } from 'node:stream';

import { authorize, errorText, TokenCache, type RegistryCredentials } from './auth.js';
import { MAX_ERROR_BODY_BYTES, readCapped } from './http-body.js';
import { httpGet, type HttpResponse } from './http-get.js';
import { sha256Digest, type Digest } from './digest.js';
import {
  DigestMismatchError,
  ImageError,
  ImageNotFoundError,
  RegistryError,
  RegistryUnreachableError,
  UnauthorizedError,
} from './errors.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import { formatReference, type ImageReference } from './reference.js';
import { registryEndpoints, type RegistryEndpoint, type RegistrySettings } from './registry-hosts.js';

/** RegistryClientOptions configure endpoints and credentials for all registries. */
export interface RegistryClientOptions extends RegistrySettings {
  /** Registry host → credentials for Basic challenges and token requests. */
  credentials?: Record<string, RegistryCredentials>;
}

/** A fetched manifest-endpoint document. */
export interface FetchedManifest {
  bytes: Buffer;
  contentType: string | undefined;
  digest: Digest;
}

// Time to wait for response headers; bodies stream for as long as they make progress.
const HEADERS_TIMEOUT_MS = 30_000;
// A body that delivers nothing for this long is abandoned (and the next endpoint tried).
const BODY_IDLE_TIMEOUT_MS = 60_000;
// Manifests and indexes are small; a larger answer is an error, not something to buffer
// (containerd's limit too).
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Thrown inside an endpoint attempt when the next endpoint should be tried. */
class EndpointFailure extends Error {
  constructor(
    message: string,
    readonly unreachable: boolean,
    readonly final?: ImageError,
  ) {
    super(message);
  }
}

/** RegistryClient talks to any number of registries with one set of settings. */
export class RegistryClient {
  private readonly tokens = new TokenCache();
  // Last Authorization that worked per endpoint and scope, sent up front on later requests
  // so each blob does not cost a 401 round trip first.
  private readonly lastAuth = new Map<string, string>();

  constructor(private readonly opts: RegistryClientOptions = {}) {}

  /** Fetches the manifest (or index) `ref` names, by `digestOrTag`. */
  async getManifest(ref: ImageReference, digestOrTag: string): Promise<FetchedManifest> {
    const path = `/v2/${ref.repository}/manifests/${digestOrTag}`;
    return this.withEndpoints(ref, 'manifest', async (ep) => {
      const res = await this.request(ep, path, ref, MANIFEST_ACCEPT);
      const bytes = await readCapped(res, MAX_MANIFEST_BYTES, `manifest of ${formatReference(ref)} from ${ep.base}`);
      const actual = sha256Digest(bytes);
      const expected = digestOrTag.startsWith('sha256:') ? digestOrTag : res.header('docker-content-digest');
      if (expected?.startsWith('sha256:') && expected !== actual) {
        throw new DigestMismatchError(`manifest ${formatReference(ref)} from ${ep.base}`, expected, actual);
      }
      return { bytes, contentType: res.header('content-type'), digest: actual };
    });
  }

  /**
   * Streams blob `digest` into `consume`. If `consume` throws (a digest mismatch, a broken
   * connection), the next endpoint is tried, so `consume` must start over each time.
   */
  async fetchBlob<T>(ref: ImageReference, digest: Digest, consume: (body: Readable, size: number | undefined) => Promise<T>): Promise<T> {
    const path = `/v2/${ref.repository}/blobs/${digest}`;
    return this.withEndpoints(ref, `blob ${digest}`, async (ep) => {
      const res = await this.request(ep, path, ref);
      const len = res.header('content-length');
      const source = res.body;
      const body = source.pipe(idleTimeout(BODY_IDLE_TIMEOUT_MS));
      source.on('error', (e) => body.destroy(e));
      try {
        return await consume(body, len !== undefined ? Number(len) : undefined);
      } catch (e) {
        body.destroy();
        source.destroy();
        if (e instanceof ImageError) throw e;
        throw new EndpointFailure(`${ep.base}: ${errorText(e)}`, true);
      }
    });
  }

  // Runs `attempt` against each endpoint until one succeeds. A mirror's failure of any kind
  // moves on; the origin's 404/401 is final. Unreachable everywhere → RegistryUnreachableError.
  private async withEndpoints<T>(ref: ImageReference, what: string, attempt: (ep: RegistryEndpoint) => Promise<T>): Promise<T> {
    const endpoints = registryEndpoints(ref.registry, this.opts);
    const failures: string[] = [];
    let lastError: ImageError | undefined;
    let allUnreachable = true;
    for (const ep of endpoints) {
      try {
        return await attempt(ep);
      } catch (e) {
        if (e instanceof EndpointFailure) {
          failures.push(e.message);
          if (!e.unreachable) allUnreachable = false;
          if (e.final) lastError = e.final;
          if (e.final && !ep.mirror) throw e.final;
          continue;
        }
        if (e instanceof ImageError) {
          if (!ep.mirror) throw e;
          failures.push(`${ep.base}: ${e.message}`);
          allUnreachable = false;
          lastError = e;
          continue;
        }
        throw e;
      }
    }
    if (allUnreachable || lastError === undefined) throw new RegistryUnreachableError(ref.registry, failures);
    throw new RegistryError(`${what} of ${formatReference(ref)}: every endpoint failed (${failures.join('; ')})`);
  }

  // One GET with auth: on 401, answer the challenge once and retry.
  private async request(ep: RegistryEndpoint, path: string, ref: ImageReference, accept?: string): Promise<HttpResponse> {
    const scope = `repository:${ref.repository}:pull`;
    const headers: Record<string, string> = {};
    if (accept) headers['accept'] = accept;
    const authKey = `${ep.base}|${scope}`;
    const known = this.lastAuth.get(authKey);
    if (known !== undefined) headers['authorization'] = known;
    let res = await this.send(ep, path, headers);
    if (res.status === 401) {
      const challenge = res.header('www-authenticate') ?? null;
      res.body.destroy();
      const creds = ep.mirror ? undefined : this.opts.credentials?.[ref.registry];
      try {
        headers['authorization'] = await authorize(challenge, scope, formatReference(ref), creds, this.tokens);
      } catch (e) {
        throw new EndpointFailure(`${ep.base}: ${(e as Error).message}`, false, e instanceof ImageError ? e : undefined);
      }
      res = await this.send(ep, path, headers);
      if (res.ok) this.lastAuth.set(authKey, headers['authorization']);
    }
    if (res.ok) return res;
    const message = await registryMessage(res);
    const reference = formatReference(ref);
    if (res.status === 404) {
      throw new EndpointFailure(`${ep.base}: 404 ${message}`, false, path.includes('/manifests/') ? new ImageNotFoundError(reference, message) : new RegistryError(`${reference}: ${path} not found on the registry (${message})`, 404));
    }
    if (res.status === 401 || res.status === 403) {
      throw new EndpointFailure(`${ep.base}: ${res.status} ${message}`, false, new UnauthorizedError(reference, message || `registry answered ${res.status}`));
    }
    throw new EndpointFailure(`${ep.base}: HTTP ${res.status} ${message}`, false, new RegistryError(`${reference}: registry answered HTTP ${res.status} for ${path}: ${message}`, res.status));
  }

  private async send(ep: RegistryEndpoint, path: string, headers: Record<string, string>): Promise<HttpResponse> {
    try {
      return await httpGet(`${ep.base}${path}`, { headers, timeoutMs: HEADERS_TIMEOUT_MS });
    } catch (e) {
      throw new EndpointFailure(`${ep.base}: ${errorText(e)}`, true);
    }
  }
}


// A pass-through that fails when no data arrives for `ms`.
function idleTimeout(ms: number): Transform {
  let timer: NodeJS.Timeout | undefined;
  const t: Transform = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      timer?.refresh();
      cb(null, chunk);
    },
    flush(cb) {
      clearTimeout(timer);
      cb();
    },
    destroy(err, cb) {
      clearTimeout(timer);
      cb(err);
    },
  });
  timer = setTimeout(() => t.destroy(new Error(`no data for ${ms / 1000} s`)), ms);
  timer.unref();
  return t;
}


// The distribution error body: {"errors":[{"code":"MANIFEST_UNKNOWN","message":"…"}]}.
async function registryMessage(res: HttpResponse): Promise<string> {
  // An error body is for a message: a registry (or a proxy) sending more is not read further.
  const text = await readCapped(res, MAX_ERROR_BODY_BYTES, 'error body').then((b) => b.toString('utf8'), () => '');
  try {
    const body = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    const parts = (body.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': '));
    if (parts.length > 0) return parts.join('; ');
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200).trim();
}
