import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { pendingAccepts, waitAcceptQueuesEmpty } from '../../../node-agent/network/accept-queues.js';

/**
 * A server that listens, then blocks its event loop for `blockMs` before it accepts: the kernel
 * completes handshakes meanwhile, so connections wait in the accept queue, as they do in a busy
 * pod's server. Loopback only.
 */
const SERVER = `
const net = require('node:net');
const blockMs = Number(process.argv[1]);
const server = net.createServer((s) => s.end());
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(server.address().port + '\\n');
  setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, blockMs), 50);
});
`;

describe('waiting for queued connections to be accepted', function () {
  this.timeout(20_000);
  let server: ChildProcess | undefined;
  const clients: Socket[] = [];

  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy();
    server?.kill('SIGKILL');
    server = undefined;
  });

  it('sees connections queued while the server does not accept, and returns once it has', async () => {
    server = spawn(process.execPath, ['-e', SERVER, '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(server.stdout!, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    const pid = server.pid!;
    await new Promise((resolve) => setTimeout(resolve, 200)); // the server's loop is blocked now
    for (let i = 0; i < 3; i++) {
      const c = connect(port, '127.0.0.1');
      clients.push(c);
      await once(c, 'connect');
    }
    expect(await pendingAccepts(pid)).to.equal(3);
    expect(await waitAcceptQueuesEmpty(pid, Date.now() + 100), 'still blocked: the bound passes first').to.equal(false);
    expect(await waitAcceptQueuesEmpty(pid, Date.now() + 10_000)).to.equal(true);
    expect(await pendingAccepts(pid)).to.equal(0);
  });

  it('counts a process that is gone as nothing queued', async () => {
    expect(await pendingAccepts(2 ** 22 + 12345)).to.equal(0);
  });
});
