import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { REPO_ROOT, berth } from '../../support/cli.js';
import { freePort } from '../../support/ports.js';
import { isAlive } from '../../support/processes.js';


describe('berth up / berth down', function () {
  this.timeout(60_000);
  let dir: string;
  let stateDir: string;
  let env: NodeJS.ProcessEnv;
  let flags: string[];
  const pids: number[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-up-test-'));
    stateDir = join(dir, 'state');
    env = { BERTH_CONFIG: join(dir, 'config') };
    let etcdPort = await freePort();
    while ((await freePort()) === etcdPort + 1) etcdPort = await freePort();
    flags = ['--state-dir', stateDir, '--listen', `127.0.0.1:${await freePort()}`, '--etcd-port', String(etcdPort)];
  });

  after(async () => {
    // Whatever happened above, leave no cluster behind.
    await berth(undefined, ['down', ...flags], undefined, env);
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a cluster the CLI can use at once, and runs the quick start', async () => {
    const up = await berth(undefined, ['up', ...flags], undefined, env);
    expect(up.code, up.stderr).to.equal(0);
    expect(up.stdout).to.contain('Control plane ready at');
    const record = JSON.parse(readFileSync(join(stateDir, 'cluster.json'), 'utf8')) as { controlPlanePid: number; server: string };
    pids.push(record.controlPlanePid, Number(readFileSync(join(stateDir, 'control-plane', 'etcd', 'etcd.pid'), 'utf8')));
    expect((parse(readFileSync(join(dir, 'config'), 'utf8')) as { server: string }).server).to.equal(record.server);

    const applied = await berth(undefined, ['apply', '-f', join(REPO_ROOT, 'manifests', 'web.yaml')], undefined, env);
    expect(applied.stdout).to.equal('deployment.apps/web created\nservice/web created\n');
    expect((await berth(undefined, ['get', 'deployments'], undefined, env)).stdout).to.match(/^web\s+0\/3/m);
  });

  it('says so when the cluster is already up', async () => {
    const again = await berth(undefined, ['up', ...flags], undefined, env);
    expect(again.code).to.equal(0);
    expect(again.stdout).to.contain('already running');
  });

  it('down stops every process it started and removes state and config', async () => {
    const down = await berth(undefined, ['down', ...flags], undefined, env);
    expect(down.code, down.stderr).to.equal(0);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).to.equal(false);
    expect(existsSync(stateDir)).to.equal(false);
    expect(existsSync(join(dir, 'config'))).to.equal(false);
  });
});
