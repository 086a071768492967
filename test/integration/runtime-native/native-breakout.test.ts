/**
 * Known container breakouts stay closed. CVE-2024-21626: a descriptor of the host left open in
 * the container's init lets /proc/self/fd/N/.. reach the host's files as the process's path or
 * working directory; berth-runtime closes every descriptor above 2 before it resolves either.
 * CVE-2019-5736: a process in the container that reaches /proc/<pid>/exe of berth-runtime could
 * overwrite the host's binary; berth-runtime runs from a sealed in-memory copy.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, readlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { makeBundle, removeDir } from '../../support/native-busybox-bundle.js';
import { BERTH_RUNTIME, NativeRuntime, useNativeFixture } from '../../support/native-runtime.js';

/** Enough to cover every descriptor berth-runtime has open while it sets a container up. */
const FDS = Array.from({ length: 30 }, (_, i) => i + 3);
const UP = '../'.repeat(12);

describe('berth-runtime against container breakouts (native)', function () {
  this.timeout(60000);
  let rootfs: string;
  let work: string;
  let rt: NativeRuntime;
  let host: string;
  let n = 0;

  useNativeFixture('native-breakout-', (f) => {
    ({ rootfs, work, rt } = f);
    // On the host only: a static busybox (a script would need its path again after exec, when
    // the descriptor is gone) and a marker file.
    host = mkdtempSync(join(tmpdir(), 'host-only-'));
    copyFileSync('/bin/busybox', join(host, 'busybox'));
    chmodSync(join(host, 'busybox'), 0o755);
    writeFileSync(join(host, 'escaped'), '');
  });
  after(() => removeDir(host));

  async function run(args: string[], cwd = '/'): Promise<{ code: number; stdout: string; stderr: string }> {
    const id = rt.track(`bo-${++n}`);
    const bundle = makeBundle(work, id, { rootfs, args, cwd, cgroupsPath: rt.cgroupsPath(id) });
    return rt.exec(['run', '--bundle', bundle, id]);
  }

  it('leaves the container process no descriptor but stdin, stdout and stderr', async () => {
    const r = await run(['ls', '/proc/self/fd']);
    // 3 is ls's own handle on the directory it lists.
    expect(r.stdout.trim().split('\n').sort()).to.deep.equal(['0', '1', '2', '3']);
  });

  it('does not execute a host file through /proc/self/fd/N/.. as the process path', async () => {
    for (const fd of FDS) {
      const r = await run([`/proc/self/fd/${fd}/${UP}${host.slice(1)}/busybox`, 'echo', 'ESCAPED']);
      expect(r.stdout, `fd ${fd}`).to.not.contain('ESCAPED');
      expect(r.code, `fd ${fd}`).to.not.equal(0);
    }
  });

  it('does not enter a host directory through /proc/self/fd/N/.. as the working directory', async () => {
    for (const fd of FDS) {
      const r = await run(['sh', '-c', 'ls; pwd'], `/proc/self/fd/${fd}/${UP}${host.slice(1)}`);
      expect(r.stdout, `fd ${fd}`).to.not.contain('escaped');
    }
  });

  it('runs from a sealed copy of itself that nothing can write, leaving the host binary intact', async () => {
    const digest = () => createHash('sha256').update(readFileSync(BERTH_RUNTIME)).digest('hex');
    const before = digest();
    const id = rt.track(`bo-${++n}`);
    const bundle = makeBundle(work, id, { rootfs, args: ['sleep', '100'], cgroupsPath: rt.cgroupsPath(id) });
    await rt.create(id, bundle);
    // The container's init waits in the container for start: it is berth-runtime in there.
    const { pid, monitorPid } = await rt.state(id);
    for (const p of [pid, monitorPid]) {
      expect(readlinkSync(`/proc/${p}/exe`)).to.match(/^\/memfd:berth-runtime \(deleted\)$/);
      let wrote = false;
      try {
        const fd = openSync(`/proc/${p}/exe`, 'r+');
        try {
          writeSync(fd, 'overwritten');
          wrote = true;
        } finally {
          closeSync(fd);
        }
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).to.be.oneOf(['ETXTBSY', 'EPERM']);
      }
      expect(wrote, `wrote through /proc/${p}/exe`).to.equal(false);
    }
    await rt.ok(['delete', '--force', id]);
    expect(digest()).to.equal(before);
    expect(basename(BERTH_RUNTIME)).to.equal('berth-runtime');
  });
});
