/**
 * cgroup limits from linux.resources on real containers: a memory hog is OOM-killed and the
 * state says so, a fork bomb stops at pids.limit, CPU quota and shares reach the cgroup files.
 * Works on cgroup v1 (this machine's hybrid layout) and v2.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { DOCKER_DEFAULT_CAPS, makeBundle } from '../../support/native-busybox-bundle.js';
import { CGROUP_V2, NativeRuntime, readCriLog, useNativeFixture } from '../../support/native-runtime.js';

describe('berth-runtime resources (native)', function () {
  this.timeout(30000);
  let rootfs: string;
  let work: string;
  let rt: NativeRuntime;
  let n = 0;

  useNativeFixture('native-res-', (f) => ({ rootfs, work, rt } = f));

  function bundle(id: string, script: string, resources: Record<string, unknown>): string {
    return makeBundle(work, id, { rootfs, args: ['sh', '-c', script], cgroupsPath: rt.cgroupsPath(id), resources });
  }

  it('OOM-kills a memory hog at memory.limit and reports it', async () => {
    const id = rt.track(`res-${++n}`);
    // Doubling a shell variable allocates without bound; 32 MiB stops it within a second.
    const hog = 'x=0123456789abcdef; while true; do x=$x$x; done';
    await rt.create(id, bundle(id, hog, { memory: { limit: 32 * 1024 * 1024 } }));
    expect(readFileSync(rt.cgroupFile(id, 'memory', CGROUP_V2 ? 'memory.max' : 'memory.limit_in_bytes'), 'utf8').trim()).to.equal(String(32 * 1024 * 1024));
    await rt.ok(['start', id]);
    const s = await rt.waitStopped(id);
    expect(s).to.include({ status: 'stopped', exitCode: 137, oomKilled: true });
  });

  it('says oomKilled false for a container that exits normally under a memory limit', async () => {
    const id = rt.track(`res-${++n}`);
    await rt.create(id, bundle(id, 'exit 3', { memory: { limit: 32 * 1024 * 1024 } }));
    await rt.ok(['start', id]);
    expect(await rt.waitStopped(id)).to.include({ exitCode: 3, oomKilled: false });
  });

  it('stops a fork bomb at pids.limit', async () => {
    const id = rt.track(`res-${++n}`);
    await rt.create(id, bundle(id, 'while true; do sleep 30 & done', { pids: { limit: 10 } }));
    await rt.ok(['start', id]);
    const s = await rt.waitStopped(id);
    // busybox sh gives up (status 2) at the first fork the pids controller refuses.
    expect(s.exitCode).to.equal(2);
    const stderr = readCriLog(rt.logPath(id)).filter((r) => r.stream === 'stderr').map((r) => r.text);
    expect(stderr).to.deep.equal(["sh: can't fork: Resource temporarily unavailable"]);
    expect(readFileSync(rt.cgroupFile(id, 'pids', 'pids.max'), 'utf8').trim()).to.equal('10');
    // The most processes that ever lived in the cgroup at once: exactly the limit.
    expect(readFileSync(rt.cgroupFile(id, 'pids', 'pids.peak'), 'utf8').trim()).to.equal('10');
    expect(readFileSync(rt.cgroupFile(id, 'pids', 'pids.events'), 'utf8')).to.match(/^max [1-9]\d*$/m);
  });

  it('denies devices not allowed by linux.resources.devices, even to a container that may mknod', async () => {
    // /dev/fuse (10:229) opens without side effects. Docker's default capabilities include MKNOD.
    const script = 'mknod /dev/f c 10 229 && head -c 0 /dev/f && echo fuse-open; echo x > /dev/null && echo null-ok';
    const deny = [{ allow: false, access: 'rwm' }];
    const cases: Array<[Array<Record<string, unknown>>, string, string]> = [
      [deny, 'null-ok\n', 'head: /dev/f: Operation not permitted\n'],
      [[...deny, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }], 'fuse-open\nnull-ok\n', ''],
    ];
    for (const [devices, stdout, stderr] of cases) {
      const id = rt.track(`res-${++n}`);
      const b = makeBundle(work, id, { rootfs, args: ['sh', '-c', script], cgroupsPath: rt.cgroupsPath(id), capabilities: DOCKER_DEFAULT_CAPS, resources: { devices } });
      const r = await rt.exec(['run', '--bundle', b, id]);
      expect({ stdout: r.stdout, stderr: r.stderr }).to.deep.equal({ stdout, stderr });
    }
  });

  it('writes CPU quota, period and shares to the cgroup', async () => {
    const id = rt.track(`res-${++n}`);
    await rt.create(id, bundle(id, 'sleep 1000', { cpu: { quota: 50000, period: 100000, shares: 512 } }));
    if (CGROUP_V2) {
      expect(readFileSync(rt.cgroupFile(id, 'cpu', 'cpu.max'), 'utf8').trim()).to.equal('50000 100000');
      expect(readFileSync(rt.cgroupFile(id, 'cpu', 'cpu.weight'), 'utf8').trim()).to.equal('20');
    } else {
      expect(readFileSync(rt.cgroupFile(id, 'cpu', 'cpu.cfs_quota_us'), 'utf8').trim()).to.equal('50000');
      expect(readFileSync(rt.cgroupFile(id, 'cpu', 'cpu.cfs_period_us'), 'utf8').trim()).to.equal('100000');
      expect(readFileSync(rt.cgroupFile(id, 'cpu', 'cpu.shares'), 'utf8').trim()).to.equal('512');
    }
    const s = await rt.state(id);
    // The init is in the cgroup before `start`, i.e. before any container code ran.
    expect(readFileSync(rt.cgroupFile(id, 'cpu', 'cgroup.procs'), 'utf8').trim()).to.equal(String(s.pid));
    await rt.ok(['delete', '--force', id]);
    for (const d of rt.cgroupDirs(id)) expect(existsSync(d), d).to.equal(false);
  });
});
