/**
 * The behaviour every Runtime must show, as one suite that any
 * implementation runs with `describeRuntimeConformance(name, makeRuntime)`. It asserts what a
 * user notices: exit codes, output, identity, stop and remove, exit watches
 * (runtime-exit-watch-conformance.ts), exec (runtime-exec-conformance.ts); and, through the few hooks of
 * RuntimeUnderTest, that nothing of a removed container is left on the machine.
 * Needs root and iproute2's `ip` (the pod network namespace test makes its own namespace).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { ContainerSpec, ImageForContainer, ImageRunConfig, PodOptions } from '../../../node-agent/runtime/container-spec.js';
import { ContainerExistsError, ContainerNotFoundError, ExecutableNotFoundError, IllegalTransitionError, InvalidSpecError } from '../../../node-agent/runtime/errors.js';
import type { ContainerStatus, LogEntry, Runtime } from '../../../node-agent/runtime/index.js';
import { describeExecConformance } from './runtime-exec-conformance.js';
import { describeExitWatchConformance } from './runtime-exit-watch-conformance.js';

const execFileAsync = promisify(execFile);

/** RuntimeUnderTest is used to give the suite a runtime and a way to look behind it. */
export interface RuntimeUnderTest {
  runtime: Runtime;
  /**
   * An image with busybox in /bin (sh, echo, id, pwd, sleep, cat, env, hostname, head, tr)
   * and user `app` (1000:1000, member of group 50) in its /etc/passwd and /etc/group.
   */
  image: ImageForContainer;
  /** Options every container of the suite gets (cgroup parent, …). */
  pod: PodOptions;
  /** A file on the host a test can bind into a container. */
  hostFile: { path: string; content: string };
  /** A second Runtime over the same state, as after an agent restart. */
  reopen(): Runtime;
  /** What is left on the machine of container `id`: mounts, cgroups, state, processes. Empty when nothing. */
  leftovers(id: string): Promise<string[]>;
  /** The pids in container `id`'s cgroup (empty when the cgroup is gone). */
  cgroupProcesses(id: string): Promise<number[]>;
  /** Removes everything the suite made, whatever state the tests left it in. */
  dispose(): Promise<void>;
}

/** Runs the conformance suite against the runtime `makeRuntime` builds (once, before all tests). */
export function describeRuntimeConformance(name: string, makeRuntime: () => Promise<RuntimeUnderTest>): void {
  describe(`Runtime conformance: ${name}`, function () {
    this.timeout(30_000);
    let rt: RuntimeUnderTest;
    let created: string[] = [];

    before(async function () {
      this.timeout(120_000);
      rt = await makeRuntime();
    });
    afterEach(async () => {
      for (const id of created) {
        try {
          await rt.runtime.remove(id, { force: true });
        } catch (err) {
          if (!(err instanceof ContainerNotFoundError)) throw err;
        }
      }
      created = [];
    });
    after(async () => {
      await rt?.dispose();
    });

    const newId = () => `conf-${randomBytes(6).toString('hex')}`;
    const imageWith = (config: ImageRunConfig): ImageForContainer => ({ ...rt.image, config: { config } });

    async function create(container: Partial<ContainerSpec>, config: ImageRunConfig = { Cmd: ['sh'] }, pod: PodOptions = {}) {
      const id = newId();
      created.push(id);
      const status = await rt.runtime.create({
        id,
        container: { name: 'test', ...container },
        image: imageWith(config),
        pod: { ...rt.pod, ...pod },
        labels: { 'test.berth/suite': 'conformance' },
      });
      return { id, status };
    }

    async function output(id: string, runtime: Runtime = rt.runtime): Promise<LogEntry[]> {
      const lines: LogEntry[] = [];
      for await (const entry of runtime.logs(id)) lines.push(entry);
      return lines;
    }
    const stdout = async (id: string) => (await output(id)).filter((e) => e.stream === 'stdout').map((e) => e.text);

    /** Runs a container to its end; returns its final status and stdout lines. */
    async function run(container: Partial<ContainerSpec>, config?: ImageRunConfig, pod?: PodOptions) {
      const { id } = await create(container, config, pod);
      await rt.runtime.start(id);
      const status = await rt.runtime.waitForExit(id);
      return { id, status, stdout: await stdout(id) };
    }

    async function removeAndExpectNothingLeft(id: string): Promise<void> {
      await rt.runtime.remove(id);
      expect(await rt.leftovers(id)).to.deep.equal([]);
      let error: unknown;
      try {
        await rt.runtime.inspect(id);
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(ContainerNotFoundError);
    }

    async function waitForLine(id: string, text: string): Promise<void> {
      for await (const entry of rt.runtime.logs(id, { follow: true })) if (entry.text === text) return;
      throw new Error(`container ${id} exited before printing '${text}'`);
    }

    async function rejection(promise: Promise<unknown>): Promise<unknown> {
      try {
        await promise;
      } catch (err) {
        return err;
      }
      throw new Error('expected the call to fail, it succeeded');
    }

    it('goes created → running → exited → removed, reporting exit code, times and output', async () => {
      const { id, status } = await create({ command: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3'] });
      expect(status).to.include({ id, name: 'test', state: 'created', oomKilled: false });
      expect(status.labels).to.deep.equal({ 'test.berth/suite': 'conformance' });
      expect(status.exitCode).to.equal(undefined);
      const running = await rt.runtime.start(id);
      expect(running.state).to.be.oneOf(['running', 'exited']);
      const exited = await rt.runtime.waitForExit(id);
      expect(exited).to.include({ state: 'exited', exitCode: 3, oomKilled: false });
      expect(exited.startedAt).to.be.a('string');
      expect(exited.finishedAt).to.be.a('string');
      expect(exited.pid).to.equal(undefined);
      const lines = await output(id);
      expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).to.deep.equal(['to-out']);
      expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.text)).to.deep.equal(['to-err']);
      expect((await rt.runtime.list()).map((c) => c.id)).to.include(id);
      expect(await rt.leftovers(id), 'what an existing container holds').to.not.deep.equal([]);
      await removeAndExpectNothingLeft(id);
      expect((await rt.runtime.list()).map((c) => c.id)).to.not.include(id);
    });

    it('follows Kubernetes command/args semantics against the image ENTRYPOINT and CMD', async () => {
      const image = { Entrypoint: ['/bin/echo', 'entry'], Cmd: ['cmd'] };
      expect((await run({}, image)).stdout).to.deep.equal(['entry cmd']);
      expect((await run({ args: ['arg'] }, image)).stdout).to.deep.equal(['entry arg']);
      expect((await run({ command: ['/bin/echo', 'command'] }, image)).stdout).to.deep.equal(['command']);
      expect((await run({ command: ['echo', 'command'], args: ['arg'] }, image)).stdout).to.deep.equal(['command arg']);
      // The runtime runs argv as given: Kubernetes' $(VAR) expansion is the agent's (kubelet's) job.
      expect((await run({ command: ['echo', '$(WHO)'], env: [{ name: 'WHO', value: 'expanded' }] }, image)).stdout).to.deep.equal(['$(WHO)']);
    });

    it('gives the process the image env overlaid by the spec env, the working dir, hostname and user', async () => {
      const image: ImageRunConfig = { Env: ['FROM_IMAGE=image', 'OVERRIDDEN=image'], WorkingDir: '/home/app', User: 'app', Cmd: ['sh'] };
      const script = 'echo "$FROM_IMAGE $OVERRIDDEN $FROM_SPEC"; echo "$PATH"; echo "$HOME"; pwd; id -u; id -g; id -G; hostname';
      const { status, stdout: out } = await run(
        { command: ['sh', '-c', script], env: [{ name: 'OVERRIDDEN', value: 'spec' }, { name: 'FROM_SPEC', value: 'spec' }] },
        image,
        { hostname: 'conformance-host' },
      );
      expect(status.exitCode).to.equal(0);
      expect(out).to.deep.equal([
        'image spec spec',
        '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '/home/app',
        '/home/app',
        '1000',
        '1000',
        '1000 50',
        'conformance-host',
      ]);
    });

    it('runs as securityContext runAsUser/runAsGroup over the image user, in the spec working dir', async () => {
      const { stdout: out } = await run(
        { command: ['sh', '-c', 'id -u; id -g; pwd'], workingDir: '/tmp', securityContext: { runAsUser: 1234, runAsGroup: 5678 } },
        { User: 'app', WorkingDir: '/home/app' },
      );
      expect(out).to.deep.equal(['1234', '5678', '/tmp']);
    });

    it('keeps Docker\'s default capabilities, and applies securityContext capabilities and readOnlyRootFilesystem', async () => {
      const script = 'grep CapEff /proc/self/status; touch /probe 2>/dev/null && echo writable || echo read-only';
      expect((await run({ command: ['sh', '-c', script] })).stdout).to.deep.equal(['CapEff:\t00000000a80425fb', 'writable']);
      const hardened = await run({
        command: ['sh', '-c', script],
        securityContext: { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, readOnlyRootFilesystem: true },
      });
      expect(hardened.stdout).to.deep.equal(['CapEff:\t0000000000000400', 'read-only']);
    });

    it('runs runAsUser: 1000 as uid 1000, which runAsNonRoot accepts', async () => {
      const { status, stdout: out } = await run({ command: ['sh', '-c', 'id -u'], securityContext: { runAsUser: 1000, runAsNonRoot: true } });
      expect(out).to.deep.equal(['1000']);
      expect(status.exitCode).to.equal(0);
    });

    it('filters system calls with the default seccomp profile unless the pod or the container is Unconfined', async () => {
      const script = 'grep Seccomp: /proc/self/status; unshare -U true 2>/dev/null && echo unshared || echo refused; ls / >/dev/null && echo busybox-works';
      expect((await run({ command: ['sh', '-c', script] })).stdout).to.deep.equal(['Seccomp:\t2', 'refused', 'busybox-works']);
      const unconfined = { seccompProfile: { type: 'Unconfined' as const } };
      expect((await run({ command: ['sh', '-c', script] }, undefined, { ...rt.pod, securityContext: unconfined })).stdout).to.deep.equal([
        'Seccomp:\t0', 'unshared', 'busybox-works',
      ]);
      expect((await run({ command: ['sh', '-c', script], securityContext: unconfined })).stdout).to.deep.equal(['Seccomp:\t0', 'unshared', 'busybox-works']);
    });

    it('refuses to create a runAsNonRoot container that would run as root, leaving nothing behind', async () => {
      const id = newId();
      created.push(id);
      const err = await rejection(
        rt.runtime.create({ id, container: { name: 'test', command: ['true'], securityContext: { runAsNonRoot: true } }, image: imageWith({}), pod: rt.pod }),
      );
      expect(err).to.be.instanceOf(InvalidSpecError);
      expect((err as Error).message).to.contain('runAsNonRoot: the container would run as root');
      expect(await rt.leftovers(id)).to.deep.equal([]);
    });

    it('hides and write-protects the host\'s /proc and /sys', async () => {
      const script = [
        'wc -c < /proc/keys',
        'touch /sys/probe 2>/dev/null && echo sys-writable || echo sys-read-only',
        '(echo 1 > /proc/sys/vm/drop_caches) 2>/dev/null && echo proc-sys-writable || echo proc-sys-read-only',
      ].join('; ');
      expect((await run({ command: ['sh', '-c', script] })).stdout).to.deep.equal(['0', 'sys-read-only', 'proc-sys-read-only']);
    });

    it('joins the pod\'s network namespace when given one', async () => {
      const netns = `berth-test-${randomBytes(4).toString('hex')}`;
      await execFileAsync('ip', ['netns', 'add', netns]);
      try {
        await execFileAsync('ip', ['-n', netns, 'link', 'add', 'pod0', 'type', 'veth', 'peer', 'name', 'pod1']);
        const inPod = await run({ command: ['ls', '/sys/class/net'] }, undefined, { netnsPath: `/run/netns/${netns}` });
        expect(inPod.stdout).to.deep.equal(['lo', 'pod0', 'pod1']);
        const ownNetns = await run({ command: ['ls', '/sys/class/net'] });
        expect(ownNetns.stdout).to.deep.equal(['lo']);
      } finally {
        await execFileAsync('ip', ['netns', 'delete', netns]);
      }
    });

    it('binds the pod\'s files into the container', async () => {
      const { stdout: out } = await run(
        { command: ['cat', '/etc/resolv.conf'] },
        undefined,
        { mounts: [{ hostPath: rt.hostFile.path, containerPath: '/etc/resolv.conf', readOnly: true }] },
      );
      expect(out).to.deep.equal(rt.hostFile.content.trimEnd().split('\n'));
    });

    it('returns the last lines with tail, and follows output until the container exits', async () => {
      // The 40000-character line is longer than a log record: it comes back whole all the same.
      const { id } = await create({ command: ['sh', '-c', 'for i in 1 2 3 4; do echo line-$i; sleep 0.1; done; head -c 40000 /dev/zero | tr "\\0" x; echo'] });
      await rt.runtime.start(id);
      const followed: string[] = [];
      for await (const entry of rt.runtime.logs(id, { follow: true })) followed.push(entry.text);
      expect(followed).to.deep.equal(['line-1', 'line-2', 'line-3', 'line-4', 'x'.repeat(40000)]);
      expect((await rt.runtime.inspect(id)).state).to.equal('exited');
      const tail: string[] = [];
      for await (const entry of rt.runtime.logs(id, { tail: 2 })) tail.push(entry.text);
      expect(tail).to.deep.equal(['line-4', 'x'.repeat(40000)]);
      await removeAndExpectNothingLeft(id);
    });

    it('stops a process that handles SIGTERM with SIGTERM', async () => {
      const { id } = await create({ command: ['sh', '-c', "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done"] });
      await rt.runtime.start(id);
      await waitForLine(id, 'ready');
      const stopped = await rt.runtime.stop(id, 20_000);
      expect(stopped).to.include({ state: 'exited', exitCode: 0 });
      expect(await stdout(id)).to.deep.equal(['ready', 'got-term']);
      await removeAndExpectNothingLeft(id);
    });

    it('kills a process that ignores SIGTERM once the grace period is over, leaving no process in its cgroup', async () => {
      const { id } = await create({ command: ['sh', '-c', "trap '' TERM; sleep 1000 & echo ready; while true; do sleep 1; done"] });
      await rt.runtime.start(id);
      await waitForLine(id, 'ready');
      expect((await rt.cgroupProcesses(id)).length).to.be.greaterThan(1);
      const stopped = await rt.runtime.stop(id, 500);
      expect(stopped).to.include({ state: 'exited', exitCode: 137 });
      expect(await rt.cgroupProcesses(id)).to.deep.equal([]);
      expect(await rt.runtime.stop(id, 500)).to.include({ state: 'exited', exitCode: 137 }); // idempotent
      await removeAndExpectNothingLeft(id);
    });

    it('is re-adopted by a new runtime over the same state: same pid, and it can stop, read and remove it', async () => {
      const { id } = await create({ command: ['sh', '-c', 'echo adopted; exec sleep 1000'] });
      const { pid } = await rt.runtime.start(id);
      expect(pid).to.be.a('number');
      await waitForLine(id, 'adopted');
      const second = rt.reopen();
      const listed = (await second.list()).find((c) => c.id === id);
      expect(listed).to.include({ state: 'running', pid, name: 'test' });
      expect(listed?.labels).to.deep.equal({ 'test.berth/suite': 'conformance' });
      expect((await second.inspect(id)).pid).to.equal(pid);
      expect((await output(id, second)).map((e) => e.text)).to.deep.equal(['adopted']);
      const stopped = await second.stop(id, 500);
      expect(stopped.state).to.equal('exited');
      await second.remove(id);
      expect(await rt.leftovers(id)).to.deep.equal([]);
    });

    it('refuses illegal moves naming both states, and removes a running container only with force', async () => {
      const { id } = await create({ command: ['sleep', '1000'] });
      await rt.runtime.start(id);
      const again = await rejection(rt.runtime.start(id));
      expect(again).to.be.instanceOf(IllegalTransitionError);
      expect((again as Error).message).to.contain("'running' to state 'running'");
      const remove = await rejection(rt.runtime.remove(id));
      expect(remove).to.be.instanceOf(IllegalTransitionError);
      expect((remove as Error).message).to.contain("'running' to state 'removed'");
      expect((await rt.runtime.inspect(id)).state).to.equal('running');
      const giveUp = new AbortController();
      giveUp.abort(new Error('gave up waiting'));
      expect(await rejection(rt.runtime.waitForExit(id, { signal: giveUp.signal }))).to.have.property('message', 'gave up waiting');
      await rt.runtime.remove(id, { force: true });
      expect(await rt.leftovers(id)).to.deep.equal([]);
    });

    it('createAndStart runs the container as create then start would, and refuses a used id', async () => {
      const id = newId();
      created.push(id);
      const request = { id, container: { name: 'test', command: ['sh', '-c', 'echo up; exec sleep 1000'] }, image: imageWith({}), pod: rt.pod, labels: { 'test.berth/suite': 'conformance' } };
      const started = await rt.runtime.createAndStart(request);
      expect(started).to.include({ id, name: 'test', state: 'running', oomKilled: false });
      expect(started.pid).to.be.a('number');
      expect(started.startedAt).to.be.a('string');
      expect(started.labels).to.deep.equal({ 'test.berth/suite': 'conformance' });
      await waitForLine(id, 'up');
      expect(await rejection(rt.runtime.createAndStart(request))).to.be.instanceOf(ContainerExistsError);
      expect(await rejection(rt.runtime.start(id))).to.be.instanceOf(IllegalTransitionError);
      const stopped = await rt.runtime.stop(id, 1_000);
      expect(stopped).to.include({ state: 'exited' });
      await removeAndExpectNothingLeft(id);
    });

    it('stops a container that was created but never started', async () => {
      const { id } = await create({ command: ['sleep', '1000'] });
      const stopped = await rt.runtime.stop(id, 1_000);
      expect(stopped.state).to.equal('exited');
      const startAfterStop = await rejection(rt.runtime.start(id));
      expect(startAfterStop).to.be.instanceOf(IllegalTransitionError);
      await removeAndExpectNothingLeft(id);
    });

    it('reports a container killed for exceeding its memory limit as oomKilled', async () => {
      const { status } = await run({
        // Holds 64 MiB in a shell variable: far over a 16 MiB limit.
        command: ['sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived'],
        resources: { limits: { memory: '16Mi' } },
      });
      expect(status).to.include({ state: 'exited', exitCode: 137, oomKilled: true });
    });

    it('fails create for a command the image does not have, leaving nothing behind', async () => {
      const id = newId();
      created.push(id);
      const err = await rejection(rt.runtime.create({ id, container: { name: 'test', command: ['no-such-command'] }, image: imageWith({}), pod: rt.pod }));
      expect(err).to.be.instanceOf(ExecutableNotFoundError);
      expect((err as Error).message).to.contain("'no-such-command' not found");
      expect(await rt.leftovers(id)).to.deep.equal([]);
      expect(await rejection(rt.runtime.inspect(id))).to.be.instanceOf(ContainerNotFoundError);
    });

    for (const method of ['create', 'createAndStart'] as const) {
      it(`${method} undoes every step when the low-level command fails (a bind mount without source), leaving nothing behind`, async () => {
        const id = newId();
        created.push(id);
        const err = await rejection(
          rt.runtime[method]({
            id,
            container: { name: 'test', command: ['true'] },
            image: imageWith({}),
            pod: { ...rt.pod, mounts: [{ hostPath: `/nonexistent-${id}`, containerPath: '/data' }] },
          }),
        );
        expect(err).to.be.instanceOf(Error);
        expect(await rt.leftovers(id)).to.deep.equal([]);
        expect((await rt.runtime.list()).map((c: ContainerStatus) => c.id)).to.not.include(id);
      });
    }

    describeExitWatchConformance(() => rt);
    describeExecConformance(() => rt);
  });
}
