/**
 * HTTP GET for the registry client, on node:http and node:https. Not fetch(): Node's fetch is
 * undici, whose HTTP parser is WebAssembly; the first fetch compiles and instantiates it and
 * loads undici, which kept about 20 MB resident in the agent for the rest of its life, for a
 * handful of requests per pull.
 *
 * It follows redirects as fetch does (registries send blob downloads to a CDN or an object
 * store), and like fetch drops the Authorization header when a redirect leaves the origin, so
 * a registry token is never sent to another host (which would also make a pre-signed object
 * store URL fail).
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** HttpResponse is used for an answer whose body is still unread. */
export interface HttpResponse {
  status: number;
  /** 2xx. */
  ok: boolean;
  /** The URL that answered (the last one, after redirects). */
  url: string;
  /** A response header by lower-case name; repeated headers are joined with ", ". */
  header(name: string): string | undefined;
  /** The body; read it to the end or destroy it, so the connection is reused or closed. */
  body: IncomingMessage;
}

/** HttpGetOptions are the request headers and how long to wait for the response headers. */
export interface HttpGetOptions {
  headers: Record<string, string>;
  /** Time for the whole chain of redirects up to the final response headers. */
  timeoutMs: number;
}

/** Redirects followed before giving up (fetch follows 20; registries use one or two). */
const MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** httpGet sends GET `url`, following redirects; rejects on network errors and on the timeout. */
export async function httpGet(url: string | URL, options: HttpGetOptions): Promise<HttpResponse> {
  const deadline = Date.now() + options.timeoutMs;
  let target = new URL(url);
  const headers = { ...options.headers };
  for (let hops = 0; ; hops++) {
    const res = await getOnce(target, headers, deadline - Date.now(), options.timeoutMs);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (!REDIRECTS.has(status) || location === undefined) return toResponse(target, status, res);
    res.resume(); // a redirect's body is not needed; reading it frees the connection
    if (hops === MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects from ${new URL(url).origin}`);
    const next = new URL(location, target);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error(`redirect to ${next.protocol} URL ${next.origin}`);
    if (next.origin !== target.origin) delete headers['authorization'];
    target = next;
  }
}

function getOnce(url: URL, headers: Record<string, string>, remainingMs: number, timeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
    if (send === undefined) return reject(new Error(`unsupported URL scheme ${url.protocol}`));
    const req: ClientRequest = send(url, { method: 'GET', headers });
    const timer = setTimeout(() => req.destroy(new Error(`no response within ${timeoutMs / 1000} s`)), Math.max(0, remainingMs));
    req.once('response', (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end();
  });
}

function toResponse(url: URL, status: number, body: IncomingMessage): HttpResponse {
  return {
    status,
    ok: status >= 200 && status < 300,
    url: url.href,
    header: (name) => {
      const v = body.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    body,
  };
}
