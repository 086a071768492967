/**
 * A counting HTTP proxy in front of a registry: records every request path, so tests can
 * assert which blobs a pull fetched, and can act as a registry mirror.
 */
import { createServer, request, type Server } from 'node:http';

export interface CountingProxy {
  address: string;
  /** Request paths in arrival order (`/v2/x/blobs/sha256:…`). */
  requests: string[];
  /** GETs of blobs, by digest. */
  blobGets(): string[];
  stop(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 forwarding to `target` (`host:port`). */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const [host, port] = target.split(':');
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const up = request(
      { host, port: Number(port), path: req.url, method: req.method, headers: { ...req.headers, host: target } },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const address = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    address,
    requests,
    blobGets: () => requests.filter((p) => p.includes('/blobs/')).map((p) => p.slice(p.indexOf('/blobs/') + 7)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
