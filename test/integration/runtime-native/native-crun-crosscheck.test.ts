/**
 * The same bundle run by berth-runtime and by crun gives the same observable results: exit
 * code, output, effective capabilities, hostname, uid/gid, pid 1, cwd and environment.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_DEFAULT_CAPS, makeBundle, makeBusyboxRootfs, removeDir } from '../../support/native-busybox-bundle.js';
import { crunRun, NativeRuntime, randomSuffix, runCmd } from '../../support/native-runtime.js';

describe('berth-runtime matches crun (native)', function () {
  this.timeout(30000);
  let rootfs: string;
  let work: string;
  let crunRoot: string;
  let rt: NativeRuntime;
  const crunIds: string[] = [];

  before(() => {
    rootfs = makeBusyboxRootfs();
    work = mkdtempSync(join(tmpdir(), 'native-crun-'));
    crunRoot = mkdtempSync(join(tmpdir(), 'native-crun-state-'));
    rt = new NativeRuntime();
  });
  after(async () => {
    // crun run deletes its container on exit; a failed run may leave one behind.
    for (const id of crunIds) await runCmd('unshare', ['-m', 'sh', '-c', 'umount /sys/fs/cgroup/unified 2>/dev/null; crun --root "$1" delete --force "$2"', 'sh', crunRoot, id]);
    await rt.cleanup();
    removeDir(crunRoot);
    removeDir(rootfs);
    removeDir(work);
  });

  const cases: Array<{ name: string; script: string; opts: Record<string, unknown> }> = [
    {
      name: 'root with Docker default capabilities',
      script: 'echo "pid=$$ uid=$(id -u) gid=$(id -g) host=$(hostname) cwd=$(pwd) v=$V"; grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status; env | sort; ls /dev; ulimit -n; umask; echo to-stderr >&2; exit 5',
      opts: { capabilities: DOCKER_DEFAULT_CAPS, hostname: 'cross-1', env: ['PATH=/bin', 'V=1'], cwd: '/tmp' },
    },
    {
      name: 'an unprivileged user with groups',
      script: 'echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) host=$(hostname)"; grep -E "^(CapEff|CapPrm)" /proc/self/status; touch /etc/x || echo ro',
      opts: { user: { uid: 1000, gid: 1000, additionalGids: [2000] }, hostname: 'cross-2', capabilities: DOCKER_DEFAULT_CAPS, cwd: '/home/app' },
    },
  ];

  for (const c of cases) {
    it(`gives the same results as crun for ${c.name}`, async () => {
      const id = rt.track(`cross-${randomSuffix()}`);
      const bundle = makeBundle(work, id, { rootfs, args: ['sh', '-c', c.script], cgroupsPath: rt.cgroupsPath(id), ...c.opts });
      const berth = await rt.exec(['run', '--bundle', bundle, id]);
      crunIds.push(id);
      const crun = await crunRun(bundle, id, crunRoot);
      expect(berth.stdout).to.not.equal('');
      expect({ code: berth.code, stdout: berth.stdout, stderr: berth.stderr }).to.deep.equal({ code: crun.code, stdout: crun.stdout, stderr: crun.stderr });
    });
  }
});
