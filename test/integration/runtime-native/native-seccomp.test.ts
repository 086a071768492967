/**
 * berth-runtime honours linux.seccomp: the agent's default profile (Docker's allowlist) keeps
 * a container from mounting, unsharing, using keys or bpf while busybox works; without a
 * profile the same calls reach the kernel; argument conditions decide per call; a profile
 * feature berth-runtime cannot honour fails create and leaves nothing behind; a profile is
 * compiled once and then taken from the cache.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKER_DEFAULT_CAPS, makeBundle, type BundleOptions } from '../../support/native-busybox-bundle.js';
import { NativeRuntime, REPO_ROOT, useNativeFixture } from '../../support/native-runtime.js';
import { defaultSeccompProfile } from '../../../node-agent/runtime/seccomp-default.js';

const EPERM = 1;
const EINVAL = 22;

describe('berth-runtime seccomp (native)', function () {
  this.timeout(30000);
  let rootfs: string;
  let work: string;
  let rt: NativeRuntime;
  let n = 0;
  // CAP_SYS_ADMIN held but the profile made for Docker's default set: every EPERM below is the
  // filter's, not a missing capability's.
  const caps = [...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN'];
  const profile = defaultSeccompProfile(DOCKER_DEFAULT_CAPS);

  useNativeFixture('native-seccomp-', (f) => {
    ({ rootfs, work, rt } = f);
    execFileSync('cc', ['-static', '-O2', '-o', join(rootfs, 'bin/probe'), join(REPO_ROOT, 'test/support/syscall-probe.c')]);
    mkdirSync(join(rootfs, 'probe-mnt'));
  });

  async function run(args: string[], opts: Partial<BundleOptions> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const id = rt.track(`sc-${++n}`);
    const bundle = makeBundle(work, id, { rootfs, args, cgroupsPath: rt.cgroupsPath(id), capabilities: caps, ...opts });
    return rt.exec(['run', '--bundle', bundle, id]);
  }

  /** errno of each probe (0: it succeeded). */
  async function probe(names: string[], opts: Partial<BundleOptions>): Promise<Record<string, number>> {
    const r = await run(['probe', ...names], opts);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]));
  }

  it('refuses mount, unshare, keyctl and bpf with EPERM under the default profile', async () => {
    expect(await probe(['mount', 'unshare', 'keyctl', 'bpf'], { seccomp: profile })).to.deep.equal({ mount: EPERM, unshare: EPERM, keyctl: EPERM, bpf: EPERM });
  });

  it('lets the same calls reach the kernel without a profile (Unconfined)', async () => {
    expect(await probe(['mount', 'unshare', 'keyctl', 'bpf'], {})).to.deep.equal({ mount: 0, unshare: 0, keyctl: 0, bpf: EINVAL });
  });

  it('decides by argument where the profile has conditions (personality, socket, clone)', async () => {
    expect(await probe(['personality-query', 'personality-bsd', 'socket-inet', 'socket-vsock', 'fork'], { seccomp: profile })).to.deep.equal({
      'personality-query': 0, 'personality-bsd': EPERM, 'socket-inet': 0, 'socket-vsock': EPERM, fork: 0,
    });
    // clone with namespace flags (unshare -m forks with CLONE_NEWNS under busybox) is refused.
    const r = await run(['sh', '-c', 'unshare -m true; echo "unshare $?"'], { seccomp: profile });
    expect(r.stdout).to.equal('unshare 1\n');
  });

  it('runs busybox under the default profile, as a non-root user too, and shows the filter in /proc', async () => {
    const script = 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; id -u; ls / | grep -c .; echo hi | sed s/hi/ok/; (sleep 0.01 &) ; wait; date +%Y >/dev/null && echo done';
    for (const user of [undefined, { uid: 1000, gid: 1000 }]) {
      const r = await run(['sh', '-c', script], { seccomp: profile, ...(user ? { user } : {}) });
      expect(r.stderr).to.equal('');
      const lines = r.stdout.trim().split('\n');
      expect(lines.slice(0, 2).map((l) => l.replace(/\s+/g, ' '))).to.deep.equal(['NoNewPrivs: 1', 'Seccomp: 2']);
      expect(lines[2]).to.equal(String(user?.uid ?? 0));
      expect(lines.slice(4)).to.deep.equal(['ok', 'done']);
      expect(r.code).to.equal(0);
    }
  });

  it('installs the filter before dropping privileges when no_new_privs is off', async () => {
    const r = await run(['sh', '-c', 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; probe unshare'], {
      seccomp: profile, noNewPrivileges: false, user: { uid: 1000, gid: 1000 },
    });
    expect(r.stderr).to.equal('');
    expect(r.stdout.replace(/[ \t]+/g, ' ')).to.equal('NoNewPrivs: 0\nSeccomp: 2\nunshare 1\n');
  });

  it('refuses a profile it cannot honour, naming the field, and creates nothing', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...profile, listenerPath: '/run/agent.sock' }, /linux\.seccomp\.listenerPath: SCMP_ACT_NOTIFY listeners are not supported/],
      [{ ...profile, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'] }, /linux\.seccomp\.architectures\[1\]: berth-runtime filters the native architecture .* only, not SCMP_ARCH_X86/],
      [{ ...profile, syscalls: [{ names: ['no_such_call'], action: 'SCMP_ACT_ALLOW' }] }, /linux\.seccomp\.syscalls\[0\]\.names: unknown system call no_such_call/],
      [{ ...profile, syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] }, /linux\.seccomp\.syscalls\[0\]\.action: SCMP_ACT_NOTIFY is not supported/],
      [{ ...profile, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }, /linux\.seccomp\.syscalls\[0\]\.args\[0\]\.index: must be 0 to 5/],
      [{ ...profile, flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, /linux\.seccomp\.flags\[0\]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported/],
      [{ ...profile, defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }, /linux\.seccomp\.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one/],
    ];
    for (const [seccomp, message] of cases) {
      const id = rt.track(`bad-${++n}`);
      const bundle = makeBundle(work, id, { rootfs, args: ['true'], cgroupsPath: rt.cgroupsPath(id), seccomp });
      const r = await rt.exec(['create', '--bundle', bundle, id]);
      expect(r.stderr).to.match(message);
      expect(r.code).to.not.equal(0);
      expect(readdirSync(rt.root).filter((e) => !e.startsWith('.'))).to.deep.equal([]);
    }
  });

  it('compiles a profile once: later containers with the same profile take it from the cache', async () => {
    await rt.deleteAll();
    const cache = join(rt.root, '.seccomp-cache');
    const before = readdirSync(cache).filter((f) => f.endsWith('.bpf'));
    expect(before).to.have.length(1); // every container above used the same profile
    const file = join(cache, before[0]!);
    const written = statSync(file).mtimeMs;
    expect(await probe(['unshare'], { seccomp: profile })).to.deep.equal({ unshare: EPERM });
    expect(readdirSync(cache).filter((f) => f.endsWith('.bpf'))).to.deep.equal(before);
    expect(statSync(file).mtimeMs).to.equal(written);
    // A different profile is a second entry.
    expect(await probe(['unshare'], { seccomp: { ...profile, syscalls: [...profile.syscalls, { names: ['unshare'], action: 'SCMP_ACT_ALLOW' }] } })).to.deep.equal({ unshare: 0 });
    expect(readdirSync(cache).filter((f) => f.endsWith('.bpf'))).to.have.length(2);
  });
});
