import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTROL_PLANE_BIN, berth } from '../../support/cli.js';
import { freePort } from '../../support/ports.js';
import { writeTestPkiDir } from '../../support/test-pki.js';
import { startTlsEtcd, type TlsEtcd } from '../../support/tls-etcd.js';
import { eventually } from '../../support/wait.js';

/** A finished control plane process: its exit code and what it logged. */
interface Ended {
  code: number | null;
  log: string;
}

describe('berth-control-plane on an external etcd that requires TLS client certificates', function () {
  this.timeout(90_000);
  let etcd: TlsEtcd;
  let dir: string;
  let pkiDir: string;
  const children: ChildProcess[] = [];

  before(async () => {
    etcd = await startTlsEtcd();
    dir = mkdtempSync(join(tmpdir(), 'berth-etcd-tls-'));
    pkiDir = await writeTestPkiDir(join(dir, 'pki'));
    mkdirSync(join(dir, 'data'));
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((resolve) => c.once('exit', resolve)) : undefined)));
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function start(server: string, flags: string[]): { child: ChildProcess; ended: Promise<Ended> } {
    const child = spawn(process.execPath, [CONTROL_PLANE_BIN, '--listen', server, '--pki-dir', pkiDir, '--data-dir', join(dir, 'data'), '--no-controllers', ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let log = '';
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    return { child, ended: new Promise((resolve) => child.once('exit', (code) => resolve({ code, log }))) };
  }

  it('stores and serves objects with --etcd-cafile, --etcd-certfile and --etcd-keyfile', async () => {
    const server = `127.0.0.1:${await freePort()}`;
    const { child, ended } = start(server, ['--etcd-endpoints', etcd.endpoint, '--etcd-cafile', etcd.caFile, '--etcd-certfile', etcd.clientCertFile, '--etcd-keyfile', etcd.clientKeyFile]);
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`the control plane exited: ${(await ended).log}`);
      const res = await berth(server, ['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: on-tls-etcd\n');
      expect(res?.code, res?.stderr).to.equal(0);
    }, 30_000, 250);
    expect((await berth(server, ['get', 'namespaces'])).stdout).to.match(/^on-tls-etcd\s+Active/m);
    child.kill('SIGTERM');
    expect((await ended).code).to.equal(0);
  });

  it('without the client certificate, exits saying that etcd refused it and which flags to give', async () => {
    const { ended } = start(`127.0.0.1:${await freePort()}`, ['--etcd-endpoints', etcd.endpoint, '--etcd-cafile', etcd.caFile]);
    const { code, log } = await ended;
    expect(code).to.equal(1);
    expect(log).to.contain(`cannot use etcd at ${etcd.endpoint}`).and.to.contain('give --etcd-certfile and --etcd-keyfile');
  });

  it('refuses half a client certificate, and TLS flags without --etcd-endpoints, before starting anything', async () => {
    const half = await start(`127.0.0.1:${await freePort()}`, ['--etcd-endpoints', etcd.endpoint, '--etcd-cafile', etcd.caFile, '--etcd-certfile', etcd.clientCertFile]).ended;
    expect(half.code).to.equal(1);
    expect(half.log).to.contain('--etcd-certfile and --etcd-keyfile go together');
    const embedded = await start(`127.0.0.1:${await freePort()}`, ['--etcd-cafile', etcd.caFile]).ended;
    expect(embedded.code).to.equal(1);
    expect(embedded.log).to.contain('give --etcd-endpoints too');
  });
});
