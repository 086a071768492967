/**
 * What a process inside a berth-runtime container sees: its own pid 1 and hostname, the
 * configured env, cwd and user, the capability set and no_new_privs from config.json, masked
 * and read-only /proc paths, a read-only /sys, a minimal /dev, and a network namespace joined
 * by path.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capMask, DOCKER_DEFAULT_CAPS, makeBundle, type BundleOptions } from '../../support/native-busybox-bundle.js';
import { runCommand } from '../../../node-agent/native/index.js';
import { BERTH_RUNTIME, NativeRuntime, randomSuffix, runCmd, useNativeFixture } from '../../support/native-runtime.js';

describe('berth-runtime isolation (native)', function () {
  this.timeout(30000);
  let rootfs: string;
  let work: string;
  let rt: NativeRuntime;
  let n = 0;

  /** Runs a shell script in a fresh container and returns its exit code and output. */
  async function inContainer(script: string, opts: Partial<BundleOptions> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const id = rt.track(`iso-${++n}`);
    const bundle = makeBundle(work, id, { rootfs, args: ['sh', '-c', script], cgroupsPath: rt.cgroupsPath(id), ...opts });
    return rt.exec(['run', '--bundle', bundle, id]);
  }

  useNativeFixture('native-iso-', (f) => ({ rootfs, work, rt } = f));

  it('passes env, cwd and user (uid, gid, additional groups)', async () => {
    const r = await inContainer('echo "$GREETING"; pwd; id -u; id -g; id -G', {
      env: ['PATH=/bin', 'GREETING=hello world'],
      cwd: '/home/app',
      user: { uid: 1000, gid: 1000, additionalGids: [2000] },
    });
    expect(r.stderr).to.equal('');
    expect(r.stdout.split('\n')).to.deep.equal(['hello world', '/home/app', '1000', '1000', '1000 2000', '']);
  });

  it('resolves a cwd symlink that points outside the root inside the root', async () => {
    // Before pivot_root, ../../../.. from the rootfs would reach the host's /; it must not.
    symlinkSync('../../../../../../..', join(rootfs, 'home/app/escape'));
    const r = await inContainer('pwd; ls', { cwd: '/home/app/escape' });
    const [cwd, ...entries] = r.stdout.trim().split('\n');
    expect(cwd).to.equal('/');
    expect(entries).to.include('bin');
    expect(entries).to.not.include('work');
  });

  it('starts the process with no signal blocked or ignored, whatever its caller ignored', async () => {
    const args = ['grep', '-E', '^Sig(Blk|Ign)', '/proc/self/status']; // no shell: it would set its own
    // A shell that ignores SIGHUP and SIGPIPE starts berth-runtime: those stay ignored across exec.
    const id = rt.track(`iso-${++n}`);
    const bundle = makeBundle(work, id, { rootfs, args, cgroupsPath: rt.cgroupsPath(id) });
    const viaShell = await runCmd('/bin/sh', ['-c', `trap "" HUP PIPE; exec ${BERTH_RUNTIME} --root ${rt.root} run --bundle ${bundle} ${id}`]);
    expect(viaShell.stdout).to.equal('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
    // The agent starts berth-runtime with glibc's posix_spawn, which leaves signals 32 and 33 ignored.
    const id2 = rt.track(`iso-${++n}`);
    const bundle2 = makeBundle(work, id2, { rootfs, args, cgroupsPath: rt.cgroupsPath(id2) });
    const viaSpawn = await runCommand(BERTH_RUNTIME, ['--root', rt.root, 'run', '--bundle', bundle2, id2]);
    expect(viaSpawn.stdout).to.equal('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
  });

  it('runs the process as pid 1 with no host process visible, and its own hostname', async () => {
    const r = await inContainer('echo $$; ls /proc | grep -c "^[0-9]"; hostname', { hostname: 'web-1' });
    const [pid, count, host] = r.stdout.trim().split('\n');
    expect(pid).to.equal('1');
    // sh itself, and ls and grep of the pipeline.
    expect(Number(count)).to.be.at.most(3);
    expect(host).to.equal('web-1');
  });

  it('has exactly the configured capabilities and no_new_privs', async () => {
    const r = await inContainer('grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status', { capabilities: DOCKER_DEFAULT_CAPS });
    const mask = capMask(DOCKER_DEFAULT_CAPS);
    expect(r.stdout).to.equal(`CapEff:\t${mask}\nCapBnd:\t${mask}\nNoNewPrivs:\t1\n`);
    expect(mask).to.equal('00000000a80425fb'); // Docker's well-known default set
  });

  it('gives a config without capabilities none at all', async () => {
    const r = await inContainer('grep -E "^(CapEff|CapPrm|CapBnd)" /proc/self/status', { capabilities: [] });
    expect(r.stdout).to.equal('CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n');
  });

  it('masks /proc paths and makes /proc/sys and /sys read-only', async () => {
    const script = [
      'for f in /proc/keys /proc/timer_list; do printf "%s %s\\n" $f $(wc -c < $f); done',
      'ls -A /proc/acpi | wc -l',
      'echo x > /proc/sys/kernel/hostname || true',
      'touch /sys/kernel/x || true',
      'grep -E " /(proc/sys|sys) " /proc/mounts | cut -d" " -f2,4 | cut -d, -f1',
    ].join('; ');
    const r = await inContainer(script);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 3)).to.deep.equal(['/proc/keys 0', '/proc/timer_list 0', '0']);
    expect(existsSync('/proc/acpi') && statSync('/proc/keys').isFile()).to.equal(true); // present on the host
    expect(r.stderr).to.include("can't create /proc/sys/kernel/hostname: Read-only file system");
    expect(r.stderr).to.include('touch: /sys/kernel/x: Read-only file system');
    expect(lines.slice(3).sort()).to.deep.equal(['/proc/sys ro', '/sys ro']);
  });

  it('closes every descriptor the caller passed beyond stdio', async () => {
    const id = rt.track(`iso-${++n}`);
    const bundle = makeBundle(work, id, { rootfs, args: ['ls', '/proc/self/fd'], cgroupsPath: rt.cgroupsPath(id) });
    // fd 3 and 4: extra pipes, as a careless caller might leave open.
    const child = spawn(BERTH_RUNTIME, ['--root', rt.root, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).to.equal(0);
    // 0-2, and 3: the directory ls itself is reading.
    expect(out.trim().split('\n')).to.deep.equal(['0', '1', '2', '3']);
  });

  it('builds a minimal /dev and a read-only root', async () => {
    const r = await inContainer('ls -A /dev | tr "\\n" " "; echo; readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdout; echo hi > /dev/null && echo null-ok; touch /x || true');
    const [devs, ptmx, fd, stdout, nullOk] = r.stdout.split('\n');
    expect(devs!.trim().split(' ').sort()).to.deep.equal(
      ['core', 'fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'].sort(),
    );
    expect([ptmx, fd, stdout, nullOk]).to.deep.equal(['pts/ptmx', '/proc/self/fd', '/proc/self/fd/1', 'null-ok']);
    expect(r.stderr).to.equal('touch: /x: Read-only file system\n');
  });

  it('resolves mount targets inside the rootfs even through symlinks that point out of it', async () => {
    // Followed on the host, this link would put the tmpfs on the host's <work>/outside.
    const outside = join(work, 'outside');
    mkdirSync(outside);
    symlinkSync(`../../../../../../..${outside}`, join(rootfs, 'mnt/link'));
    const hostData = mkdtempSync(join(work, 'data-'));
    writeFileSync(join(hostData, 'f'), 'from the host\n');
    const r = await inContainer(`echo in > /mnt/link/x && cat /mnt/data/f && grep -E " ${outside}| /mnt/data " /proc/mounts | cut -d" " -f2,4 | cut -d, -f1; touch /mnt/data/y`, {
      extraMounts: [
        { destination: '/mnt/link', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] },
        { destination: '/mnt/data', type: 'bind', source: hostData, options: ['rbind', 'ro'] },
      ],
    });
    expect(r.stdout.split('\n')).to.deep.equal(['from the host', `${outside} rw`, '/mnt/data ro', '']);
    expect(r.stderr).to.equal('touch: /mnt/data/y: Read-only file system\n');
    expect(readdirSync(outside)).to.deep.equal([]);
  });

  describe('with a network namespace made by ip netns', () => {
    const netns = `berth-test-${randomSuffix()}`;
    before(async () => {
      const r = await runCmd('ip', ['netns', 'add', netns]);
      if (r.code !== 0) throw new Error(`ip netns add ${netns}: ${r.stderr}`);
    });
    after(async () => {
      await runCmd('ip', ['netns', 'delete', netns]);
    });

    it('joins the namespace given by path', async () => {
      const path = `/var/run/netns/${netns}`;
      const r = await inContainer('readlink /proc/self/ns/net', {
        namespaces: [{ type: 'pid' }, { type: 'network', path }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      });
      expect(r.stderr).to.equal('');
      expect(r.stdout.trim()).to.equal(`net:[${statSync(path).ino}]`);
    });
  });

  it('maps root to an unprivileged host uid in a user namespace', async () => {
    const r = await inContainer('cat /proc/self/uid_map; id -u; stat -c %u /', {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }],
      idMap: { containerID: 0, hostID: 100000, size: 65536 },
    });
    expect(r.stderr).to.equal('');
    const [map, uid, rootOwner] = r.stdout.trim().split('\n');
    expect(map!.trim().split(/\s+/)).to.deep.equal(['0', '100000', '65536']);
    expect(uid).to.equal('0');
    // The rootfs belongs to host root, which is not mapped: it shows as the overflow uid.
    expect(rootOwner).to.equal('65534');
  });
});
