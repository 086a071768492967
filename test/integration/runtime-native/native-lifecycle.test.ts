/**
 * berth-runtime lifecycle against real containers: run, create/start/state/kill/delete, the
 * detached monitor, the CRI log, and that delete leaves nothing behind.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../support/native-busybox-bundle.js';
import { alive, NativeRuntime, parentPid, readCriLog, useNativeFixture } from '../../support/native-runtime.js';

describe('berth-runtime lifecycle (native)', function () {
  this.timeout(30000);
  let rootfs: string;
  let work: string;
  let rt: NativeRuntime;
  let n = 0;
  const nextId = (): string => rt.track(`life-${++n}`);
  const bundle = (id: string, args: string[]): string => makeBundle(work, id, { rootfs, args, cgroupsPath: rt.cgroupsPath(id) });

  useNativeFixture('native-life-', (f) => ({ rootfs, work, rt } = f), { deleteAfterEach: true });

  it('run exits with the container exit code and passes stdout/stderr through', async () => {
    const id = nextId();
    const r = await rt.exec(['run', '--bundle', bundle(id, ['sh', '-c', 'echo out; echo err >&2; exit 7']), id]);
    expect(r.code).to.equal(7);
    expect(r.stdout).to.equal('out\n');
    expect(r.stderr).to.equal('err\n');
    // run deletes the container it ran, like crun run.
    expect(existsSync(join(rt.root, id))).to.equal(false);
    for (const d of rt.cgroupDirs(id)) expect(existsSync(d), d).to.equal(false);
  });

  it('run reports death by signal as 128+signal', async () => {
    const id = nextId();
    const pidFile = join(work, `${id}.pid`);
    const running = rt.exec(['run', '--pid-file', pidFile, '--container-log', rt.logPath(id), '--bundle', bundle(id, ['sleep', '1000']), id]);
    const deadline = Date.now() + 5000;
    while (!existsSync(pidFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await rt.ok(['kill', id, 'SIGKILL']);
    expect((await running).code).to.equal(137);
  });

  it('writes the container log in CRI format with full and partial lines', async () => {
    const id = nextId();
    const log = rt.logPath(id);
    const long = 'x'.repeat(20000);
    const script = `echo first; echo second >&2; printf '%s\\n' ${long}; printf tail`;
    const r = await rt.exec(['run', '--container-log', log, '--bundle', bundle(id, ['sh', '-c', script]), id]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal('');
    const records = readCriLog(log);
    for (const rec of records) expect(rec.time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const out = records.filter((x) => x.stream === 'stdout');
    expect(out[0]).to.include({ tag: 'F', text: 'first' });
    expect(records.filter((x) => x.stream === 'stderr').map((x) => [x.tag, x.text])).to.deep.equal([['F', 'second']]);
    // 20000 bytes + newline: one 16 KiB partial record, then the rest as the full line.
    expect(out[1]).to.include({ tag: 'P', text: 'x'.repeat(16384) });
    expect(out[2]).to.include({ tag: 'F', text: 'x'.repeat(20000 - 16384) });
    expect(out[3]).to.include({ tag: 'P', text: 'tail' });
    expect(out).to.have.length(4);
  });

  it('create leaves the process waiting before exec, start runs it, state tracks it from fresh processes', async () => {
    const id = nextId();
    const log = rt.logPath(id);
    const pidFile = join(work, `${id}.pid`);
    await rt.create(id, bundle(id, ['sh', '-c', 'echo started; exec sleep 1000']), ['--pid-file', pidFile]);
    const created = await rt.state(id);
    expect(created.status).to.equal('created');
    expect(created.pid).to.equal(Number(readFileSync(pidFile, 'utf8')));
    // The process that ran create has exited; the container and its monitor live on, detached.
    expect(alive(created.pid)).to.equal(true);
    expect(alive(created.monitorPid)).to.equal(true);
    expect(parentPid(created.monitorPid)).to.not.equal(process.pid);
    expect(parentPid(created.pid)).to.equal(created.monitorPid);
    expect(readFileSync(log, 'utf8')).to.equal('');

    await rt.ok(['start', id]);
    const running = await rt.state(id);
    expect(running.status).to.equal('running');
    expect(running.startedAt).to.be.a('string');
    const deadline = Date.now() + 5000;
    while (!readFileSync(log, 'utf8').includes('started') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(readCriLog(log).map((x) => x.text)).to.deep.equal(['started']);
    expect((await rt.exec(['start', id])).code).to.not.equal(0);

    await rt.ok(['kill', id, 'KILL']);
    const stopped = await rt.waitStopped(id);
    expect(stopped).to.include({ status: 'stopped', exitCode: 137, oomKilled: false });
    expect(stopped.finishedAt).to.be.a('string');
  });

  it('run --detach creates and starts in one command, returns, and keeps the container (as runc/crun run -d)', async () => {
    const id = nextId();
    const pidFile = join(work, `${id}.pid`);
    const dir = bundle(id, ['sh', '-c', 'echo started; exec sleep 1000']);
    await rt.ok(['run', '--detach', '--bundle', dir, '--container-log', rt.logPath(id), '--pid-file', pidFile, id]);
    const running = await rt.state(id);
    expect(running.status).to.equal('running');
    expect(running.startedAt).to.be.a('string');
    expect(running.pid).to.equal(Number(readFileSync(pidFile, 'utf8')));
    expect(parentPid(running.monitorPid)).to.not.equal(process.pid);
    expect(parentPid(running.pid)).to.equal(running.monitorPid);
    expect((await rt.exec(['start', id])).code).to.not.equal(0);
    const again = await rt.exec(['run', '-d', '--bundle', dir, '--container-log', rt.logPath(id), id]);
    expect(again.code).to.not.equal(0);
    await rt.ok(['kill', id, 'KILL']);
    // Not deleted on exit, unlike plain run: the monitor records the exit for state.
    expect(await rt.waitStopped(id)).to.include({ status: 'stopped', exitCode: 137 });
  });

  it('kill --all signals every process in the cgroup', async () => {
    const id = nextId();
    // The shell traps TERM, so only --all (which reaches the sleeps) ends the container.
    const script = "trap '' TERM; sleep 1000 & sleep 1000 & wait; wait; echo done";
    await rt.create(id, bundle(id, ['sh', '-c', script]));
    await rt.ok(['start', id]);
    const procsFile = rt.cgroupFile(id, 'pids', 'cgroup.procs');
    const deadline = Date.now() + 5000;
    while (readFileSync(procsFile, 'utf8').trim().split('\n').length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const pids = readFileSync(procsFile, 'utf8').trim().split('\n').map(Number);
    expect(pids).to.have.length(3);
    await rt.ok(['kill', '--all', id, 'KILL']);
    await rt.waitStopped(id);
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).to.equal(false);
    expect(readFileSync(procsFile, 'utf8')).to.equal('');
  });

  it('delete refuses a running container, --force kills it, and nothing is left afterwards', async () => {
    const id = nextId();
    const b = bundle(id, ['sleep', '1000']);
    await rt.create(id, b);
    await rt.ok(['start', id]);
    const s = await rt.state(id);
    const refused = await rt.exec(['delete', id]);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.match(new RegExp(`^berth-runtime: delete ${id}: container is running`));
    expect(alive(s.pid)).to.equal(true);

    await rt.ok(['delete', '--force', id]);
    expect(alive(s.pid)).to.equal(false);
    expect(alive(s.monitorPid)).to.equal(false);
    expect(existsSync(join(rt.root, id))).to.equal(false);
    for (const d of rt.cgroupDirs(id)) expect(existsSync(d), d).to.equal(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).to.not.include(rootfs);
    expect((await rt.exec(['state', id])).code).to.not.equal(0);
  });

  it('list shows every container with its status', async () => {
    const a = nextId();
    const b = nextId();
    await rt.create(a, bundle(a, ['sleep', '1000']));
    await rt.create(b, bundle(b, ['sleep', '1000']));
    await rt.ok(['start', b]);
    const list = JSON.parse(await rt.ok(['list'])) as Array<{ id: string; status: string }>;
    expect(list.map((x) => [x.id, x.status]).sort()).to.deep.equal([[a, 'created'], [b, 'running']]);
  });

  it('fails create with a message naming what failed and undoes everything', async () => {
    const id = nextId();
    const r = await rt.exec(['create', '--bundle', bundle(id, ['no-such-binary']), id]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(`berth-runtime: create ${id}: exec no-such-binary: executable file not found in $PATH\n`);
    expect(existsSync(join(rt.root, id))).to.equal(false);
    for (const d of rt.cgroupDirs(id)) expect(existsSync(d), d).to.equal(false);
  });
});
