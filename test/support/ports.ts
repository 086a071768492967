import { createServer } from 'node:net';

/** freePort asks the kernel for an unused loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** portIsFree tells whether `port` on loopback can be bound now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * freePortsApart picks `count` free loopback ports, each followed by a free one (etcd's peer
 * port, the control plane's join endpoint), with no pair overlapping another.
 */
export async function freePortsApart(count: number): Promise<number[]> {
  const chosen: number[] = [];
  while (chosen.length < count) {
    const port = await freePort();
    const overlaps = chosen.some((c) => Math.abs(c - port) <= 1);
    if (port < 65535 && !overlaps && (await portIsFree(port + 1))) chosen.push(port);
  }
  return chosen;
}
