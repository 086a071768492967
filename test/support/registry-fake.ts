/**
 * An in-memory registry speaking just enough of the distribution API for tests of what a
 * real registry will not do on demand: serve a corrupt blob, require bearer tokens.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface FakeRegistryContent {
  /** `name:tag` or `name@digest` → manifest bytes and media type. */
  manifests: Map<string, { body: Buffer; mediaType: string }>;
  /** digest → bytes actually served (may deliberately not match the digest). */
  blobs: Map<string, Buffer>;
}

export interface FakeRegistryOptions {
  /** Require `Authorization: Bearer <token>` issued by the fake's own /token endpoint. */
  bearerToken?: string;
  /** The token /token hands out; defaults to bearerToken (set it differently to test refusal). */
  issuedToken?: string;
  /** Answer blob requests with a 307 to this URL prefix + digest (a registry handing downloads to its CDN). */
  redirectBlobsTo?: string;
}

export interface FakeRegistry {
  address: string;
  content: FakeRegistryContent;
  /** Every request path, and the Authorization header seen. */
  requests: Array<{ path: string; authorization: string | undefined }>;
  stop(): Promise<void>;
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Adds a manifest under `name:tag` and `name@digest`; returns its digest. */
export function addManifest(c: FakeRegistryContent, name: string, tag: string, manifest: object, mediaType: string): string {
  const body = Buffer.from(JSON.stringify(manifest));
  const digest = sha256(body);
  c.manifests.set(`${name}:${tag}`, { body, mediaType });
  c.manifests.set(`${name}@${digest}`, { body, mediaType });
  return digest;
}

export async function startFakeRegistry(opts: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  const content: FakeRegistryContent = { manifests: new Map(), blobs: new Map() };
  const requests: FakeRegistry['requests'] = [];
  let address = '';
  const error = (res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ errors: [{ code, message }] }));
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', `http://${address}`);
    requests.push({ path: url.pathname + url.search, authorization: req.headers.authorization });
    if (url.pathname === '/token') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: opts.issuedToken ?? opts.bearerToken, expires_in: 300 }));
      return;
    }
    if (opts.bearerToken !== undefined && req.headers.authorization !== `Bearer ${opts.bearerToken}`) {
      const m = /^\/v2\/(.+)\/(manifests|blobs)\//.exec(url.pathname);
      const scope = m ? `,scope="repository:${m[1]}:pull"` : '';
      error(res, 401, 'UNAUTHORIZED', 'authentication required', {
        'www-authenticate': `Bearer realm="http://${address}/token",service="fake-registry"${scope}`,
      });
      return;
    }
    if (url.pathname === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!m) return error(res, 404, 'NOT_FOUND', 'no such endpoint');
    const [, name, kind, ref] = m as unknown as [string, string, string, string];
    if (kind === 'manifests') {
      const man = content.manifests.get(ref.startsWith('sha256:') ? `${name}@${ref}` : `${name}:${ref}`);
      if (!man) return error(res, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${name}:${ref}`);
      res.writeHead(200, { 'content-type': man.mediaType, 'content-length': man.body.length, 'docker-content-digest': sha256(man.body) });
      res.end(man.body);
      return;
    }
    const blob = content.blobs.get(ref);
    if (!blob) return error(res, 404, 'BLOB_UNKNOWN', `blob unknown: ${ref}`);
    if (opts.redirectBlobsTo !== undefined) {
      res.writeHead(307, { location: `${opts.redirectBlobsTo}${ref}` });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length });
    res.end(blob);
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  address = `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  return {
    address,
    content,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Puts a one-layer OCI image into a fake registry; returns the layer digest and bytes. */
export function addSimpleImage(c: FakeRegistryContent, name: string, tag: string, layerTar: Buffer, layerGz: Buffer): { manifestDigest: string; layerDigest: string } {
  const layerDigest = sha256(layerGz);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/true'] }, rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] } }),
  );
  c.blobs.set(sha256(config), config);
  c.blobs.set(layerDigest, layerGz);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layerGz.length }],
  };
  return { manifestDigest: addManifest(c, name, tag, manifest, manifest.mediaType), layerDigest };
}
