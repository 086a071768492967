/**
 * The addon's calls that run on threads of their own: runCommand (posix_spawn instead of a fork
 * of the agent), mountAsync/umount2Async, and the network namespaces of pods.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { existsSync, readlinkSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoopbackPodNetwork } from '../../../node-agent/network/loopback-pod-network.js';
import { netnsName } from '../../../node-agent/network/pod-network.js';
import * as native from '../../../node-agent/native/index.js';

async function rejection(p: Promise<unknown>): Promise<native.NativeError> {
  try {
    await p;
  } catch (err) {
    return err as native.NativeError;
  }
  throw new Error('expected a rejection');
}

describe('berth_native: calls on threads of their own', () => {
  describe('runCommand', () => {
    it('captures stdout, stderr and the exit status', async () => {
      const r = await native.runCommand('/bin/sh', ['-c', 'echo out; echo err >&2; exit 3']);
      expect(r).to.deep.include({ exitCode: 3, signal: null, stdout: 'out\n', stderr: 'err\n', timedOut: false, overflowed: false });
    });

    it('writes the input to stdin, runs in cwd, and finds a bare name in PATH', async () => {
      expect((await native.runCommand('cat', [], { input: 'a\nb\n' })).stdout).to.equal('a\nb\n');
      expect((await native.runCommand('pwd', [], { cwd: '/usr/lib' })).stdout).to.equal('/usr/lib\n');
      expect((await native.runCommand('/bin/cat', [])).stdout).to.equal(''); // stdin is /dev/null
    });

    it('rejects a program that does not exist with ENOENT, naming it', async () => {
      const err = await rejection(native.runCommand('/nonexistent/berth-test-program', []));
      expect(err.code).to.equal('ENOENT');
      expect(err.syscall).to.equal('posix_spawn');
      expect(err.path).to.equal('/nonexistent/berth-test-program');
    });

    it('kills a command that outlives its timeout', async () => {
      const r = await native.runCommand('sleep', ['30'], { timeoutMs: 100 });
      expect(r).to.deep.include({ timedOut: true, exitCode: null, signal: 9 });
    });

    it('kills a command whose output grows past the limit', async () => {
      const r = await native.runCommand('/bin/sh', ['-c', 'yes'], { maxOutput: 100_000 });
      expect(r.overflowed).to.equal(true);
      expect(r.signal).to.equal(9);
    });

    it('starts commands with only fds 0-2, nothing blocked, and none of the signals Node ignores', async () => {
      const fds = await native.runCommand('/bin/sh', ['-c', 'ls /proc/$$/fd']);
      expect(fds.stdout.trim().split('\n').sort()).to.deep.equal(['0', '1', '2']);
      const status = await native.runCommand('grep', ['-E', '^Sig(Blk|Ign)', '/proc/self/status']);
      const [blocked, ignored] = status.stdout.trim().split('\n').map((line) => BigInt(`0x${line.split('\t')[1]}`));
      expect(blocked).to.equal(0n);
      // Node ignores SIGPIPE (13); only glibc's internal signals 32 and 33 stay ignored through
      // posix_spawn (berth-runtime resets them for containers: native-isolation.test.ts).
      expect(ignored).to.equal((1n << 31n) | (1n << 32n));
    });

    it('keeps the JS thread free while commands run, and keeps concurrent outputs apart', async () => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => native.runCommand('/bin/sh', ['-c', `sleep 0.2; echo ${i}`])));
      clearInterval(timer);
      expect(runs.map((r) => r.stdout)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `${i}\n`));
      expect(ticks).to.be.greaterThan(3);
    });

    it('runs an idle command and what it starts under SCHED_IDLE, and other commands under the normal policy', async () => {
      // Field 41 of /proc/<pid>/stat is the scheduling policy (SCHED_IDLE is 5); the shell reads its own and a child's.
      const policies = "for f in /proc/$$/stat /proc/self/stat; do cut -d' ' -f41 $f; done";
      expect((await native.runCommand('/bin/sh', ['-c', policies], { idle: true })).stdout.split('\n').slice(0, 2)).to.deep.equal(['5', '5']);
      expect((await native.runCommand('/bin/sh', ['-c', policies])).stdout.split('\n').slice(0, 2)).to.deep.equal(['0', '0']);
    });
  });

  describe('mountAsync / umount2Async', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'berth-mount-async-'));
    });
    afterEach(async () => {
      await native.umount2Async(dir, native.MNT_DETACH).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    });

    it('mounts and unmounts', async () => {
      await native.mountAsync('tmpfs', dir, 'tmpfs', 0, 'size=1m');
      expect(await readFile('/proc/self/mountinfo', 'utf8')).to.contain(` ${dir} `);
      await native.umount2Async(dir);
      expect(await readFile('/proc/self/mountinfo', 'utf8')).to.not.contain(` ${dir} `);
    });

    it('rejects with the errno and both paths', async () => {
      const err = await rejection(native.mountAsync('tmpfs', join(dir, 'missing'), 'tmpfs'));
      expect(err).to.deep.include({ code: 'ENOENT', syscall: 'mount', path: join(dir, 'missing'), dest: 'tmpfs' });
      expect((await rejection(native.umount2Async(dir))).code).to.equal('EINVAL'); // not a mount point
    });
  });

  describe('pod network namespaces', () => {
    const network = new LoopbackPodNetwork();
    const uids: string[] = [];
    const newUid = () => {
      const uid = randomUUID();
      uids.push(uid);
      return uid;
    };
    const pod = (uid: string) => ({ uid, namespace: 'default', name: 'netns-test', portMappings: [] });
    afterEach(async () => {
      for (const uid of uids.splice(0)) await network.tearDown(uid);
    });

    it('makes a namespace of its own with loopback up, leaving the agent in its namespace', async () => {
      const own = readlinkSync('/proc/thread-self/ns/net');
      const uid = newUid();
      const { netnsPath } = await network.setUp(pod(uid));
      expect(netnsPath).to.equal(`/var/run/netns/${netnsName(uid)}`);
      expect(readlinkSync('/proc/thread-self/ns/net')).to.equal(own);
      // A bound namespace file has the namespace's inode; it is not ours.
      expect(`net:[${statSync(netnsPath).ino}]`).to.not.equal(own);
      const lo = await native.runCommand('ip', ['-n', netnsName(uid), '-o', 'link', 'show', 'lo']);
      expect(lo.exitCode, lo.stderr).to.equal(0);
      expect(lo.stdout).to.match(/<LOOPBACK,UP,LOWER_UP>/);
      expect((await native.runCommand('ip', ['netns', 'list'])).stdout).to.contain(netnsName(uid));
    });

    it('is idempotent (an agent restart sets up the same pod again) and brings a downed loopback up', async () => {
      const uid = newUid();
      const first = await network.setUp(pod(uid));
      const ino = statSync(first.netnsPath).ino;
      await native.runCommand('ip', ['-n', netnsName(uid), 'link', 'set', 'lo', 'down']);
      expect((await network.setUp(pod(uid))).netnsPath).to.equal(first.netnsPath);
      expect(statSync(first.netnsPath).ino).to.equal(ino);
      expect((await native.runCommand('ip', ['-n', netnsName(uid), '-o', 'link', 'show', 'lo'])).stdout).to.match(/,UP/);
    });

    it('refuses to create over an existing path with EEXIST', async () => {
      const uid = newUid();
      const { netnsPath } = await network.setUp(pod(uid));
      expect((await rejection(native.netnsCreate(netnsPath))).code).to.equal('EEXIST');
    });

    it('tears down: namespace gone, and tearing down an absent one is fine', async () => {
      const uid = newUid();
      const { netnsPath } = await network.setUp(pod(uid));
      await network.tearDown(uid);
      expect(existsSync(netnsPath)).to.equal(false);
      expect((await native.runCommand('ip', ['netns', 'list'])).stdout).to.not.contain(netnsName(uid));
      await network.tearDown(uid);
    });
  });
});
