import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CONTROL_PLANE_BIN, REPO_ROOT, berth } from '../../support/cli.js';
import { freePortsApart } from '../../support/ports.js';
import { isAlive } from '../../support/processes.js';
import { eventually } from '../../support/wait.js';
import { writeTestPkiDir } from '../../support/test-pki.js';


function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('berth-control-plane with its embedded etcd', function () {
  this.timeout(60_000);
  let dataDir: string;
  let server: string;
  let etcdPort: number;
  let pkiDir: string;
  const started: ChildProcess[] = [];
  const etcdPids = new Set<number>();

  const start = async () => {
    const child = spawn(process.execPath, [CONTROL_PLANE_BIN, '--data-dir', dataDir, '--pki-dir', pkiDir, '--listen', server, '--embedded-etcd-port', String(etcdPort), '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    started.push(child);
    let log = '';
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`control plane exited ${child.exitCode}: ${log}`);
      const res = await berth(server, ['get', 'namespaces']);
      expect(res.code, res.stderr).to.equal(0);
    }, 30_000, 200);
    const pid = Number(readFileSync(join(dataDir, 'etcd', 'etcd.pid'), 'utf8'));
    etcdPids.add(pid);
    return { child, etcdPid: pid };
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'berth-cp-bin-'));
    pkiDir = await writeTestPkiDir(join(dataDir, 'pki'));
    // The control plane's join endpoint takes its port + 1, the embedded etcd etcdPort and
    // etcdPort + 1 (peers): four ports that must not meet, or etcd cannot bind and keeps exiting.
    const [serverPort, embeddedEtcdPort] = (await freePortsApart(2)) as [number, number];
    server = `127.0.0.1:${serverPort}`;
    etcdPort = embeddedEtcdPort;
  });

  after(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of etcdPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await Promise.all(started.map(exited));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts etcd under --data-dir, serves the README flow, and stops everything on SIGTERM', async () => {
    const { child, etcdPid } = await start();
    expect(isAlive(etcdPid)).to.equal(true);
    const applied = await berth(server, ['apply', '-f', join(REPO_ROOT, 'manifests', 'web.yaml')]);
    expect(applied.stdout).to.equal('deployment.apps/web created\nservice/web created\n');
    expect((await berth(server, ['get', 'deployments'])).stdout).to.match(/^web\s+0\/3/m);

    child.kill('SIGTERM');
    expect(await exited(child)).to.equal(0);
    expect(isAlive(etcdPid)).to.equal(false);
    expect(existsSync(join(dataDir, 'etcd', 'etcd.pid'))).to.equal(false);
  });

  it('after kill -9, a new control plane stops the etcd left behind and keeps the data', async () => {
    const first = await start();
    first.child.kill('SIGKILL');
    await exited(first.child);
    expect(isAlive(first.etcdPid)).to.equal(true, 'etcd outlives a control plane killed with -9');

    const second = await start();
    expect(second.etcdPid).to.not.equal(first.etcdPid);
    expect(isAlive(first.etcdPid)).to.equal(false);
    expect((await berth(server, ['get', 'deployments'])).stdout).to.match(/^web\s+0\/3/m);
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).to.equal(0);
    expect(isAlive(second.etcdPid)).to.equal(false);
  });

  it('refuses to start without its certificate, naming the missing file, and starts nothing', async () => {
    const empty = join(dataDir, 'no-pki');
    const child = spawn(process.execPath, [CONTROL_PLANE_BIN, '--data-dir', join(dataDir, 'unused'), '--pki-dir', empty, '--listen', server, '--embedded-etcd-port', String(etcdPort)], { stdio: ['ignore', 'ignore', 'pipe'] });
    started.push(child);
    let log = '';
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    expect(await exited(child)).to.equal(1);
    expect(log).to.include(`${join(empty, 'ca.crt')}: cannot read (ENOENT)`);
    expect(existsSync(join(dataDir, 'unused'))).to.equal(false);
  });
});
