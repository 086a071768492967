/**
 * berth-runtime detects the cgroup layout when it starts. This machine is v1 (hybrid); the v2
 * path is exercised by running berth-runtime in a private mount namespace where the hybrid's
 * cgroup2 tree (/sys/fs/cgroup/unified, no controllers) is bound over /sys/fs/cgroup, which is
 * what a pure v2 host looks like to it. On a v2 host the same test runs without the trick.
 * (A cgroup2 tree without controllers still runs BPF device programs, so device rules are
 * checked too; limits are covered on v1 by native-resources.)
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_DEFAULT_CAPS, makeBundle, makeBusyboxRootfs, removeDir } from '../../support/native-busybox-bundle.js';
import { BERTH_RUNTIME, CGROUP_V2, NativeRuntime, randomSuffix, runCmd } from '../../support/native-runtime.js';

const V2_ROOT_ON_HOST = CGROUP_V2 ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';

describe('berth-runtime on a cgroup v2 layout (native)', function () {
  this.timeout(30000);
  let rootfs: string;
  let work: string;
  let rt: NativeRuntime;
  const parent = `/berth-native-v2-${randomSuffix()}`;

  before(() => {
    rootfs = makeBusyboxRootfs();
    work = mkdtempSync(join(tmpdir(), 'native-v2-'));
    rt = new NativeRuntime();
  });
  after(async () => {
    await runCmd('sh', ['-c', `find "${V2_ROOT_ON_HOST}${parent}" -depth -type d -exec rmdir {} + 2>/dev/null; true`]);
    await rt.cleanup();
    removeDir(rootfs);
    removeDir(work);
  });

  function runOnV2(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const bind = CGROUP_V2 ? '' : 'mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup || exit 99; ';
    return runCmd('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${bind}exec "$@"`, 'sh', BERTH_RUNTIME, '--root', rt.root, ...args]);
  }

  it('starts the container in its own v2 cgroup, the root of its cgroup namespace, and removes it', async () => {
    const id = rt.track(`v2-${randomSuffix()}`);
    const cgroupsPath = `${parent}/${id}`;
    const script = 'grep "^0::" /proc/self/cgroup; cat /sys/fs/cgroup/cgroup.procs; grep " /sys/fs/cgroup " /proc/mounts | cut -d" " -f3';
    const withNs = makeBundle(work, id, {
      rootfs, args: ['sh', '-c', script], cgroupsPath,
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
    });
    const r = await runOnV2(['run', '--bundle', withNs, id]);
    expect(r.stderr).to.equal('');
    // In its cgroup namespace the container's cgroup is "/", it holds only the container's
    // processes (sh = 1 and cat = 3; grep was 2 and is gone), and /sys/fs/cgroup is a real
    // cgroup2 mount.
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).to.equal('0::/');
    expect(lines.slice(1, -1).map(Number).sort()).to.deep.equal([1, 3]);
    expect(lines.at(-1)).to.equal('cgroup2');
    expect(r.code).to.equal(0);
    expect(existsSync(`${V2_ROOT_ON_HOST}${cgroupsPath}`)).to.equal(false);
    expect(existsSync(`${V2_ROOT_ON_HOST}${parent}`)).to.equal(true);
  });

  it('enforces linux.resources.devices with a BPF device program', async () => {
    const id = rt.track(`v2-${randomSuffix()}`);
    const script = 'mknod /dev/f c 10 229 && head -c 0 /dev/f && echo fuse-open; echo x > /dev/null && echo null-ok';
    const bundle = makeBundle(work, id, {
      rootfs, args: ['sh', '-c', script], cgroupsPath: `${parent}/${id}`, capabilities: DOCKER_DEFAULT_CAPS,
      resources: { devices: [{ allow: false, access: 'rwm' }] },
    });
    const r = await runOnV2(['run', '--bundle', bundle, id]);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).to.deep.equal({ code: 0, stdout: 'null-ok\n', stderr: 'head: /dev/f: Operation not permitted\n' });
  });

  it('without a cgroup namespace the container sees its full v2 path', async () => {
    const id = rt.track(`v2-${randomSuffix()}`);
    const cgroupsPath = `${parent}/${id}`;
    const bundle = makeBundle(work, id, { rootfs, args: ['sh', '-c', 'grep "^0::" /proc/self/cgroup'], cgroupsPath });
    const r = await runOnV2(['run', '--bundle', bundle, id]);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).to.deep.equal({ code: 0, stdout: `0::${cgroupsPath}\n`, stderr: '' });
  });
});
