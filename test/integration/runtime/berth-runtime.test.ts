import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthRuntimeCli, defaultBinaryPath } from '../../../node-agent/runtime/berth-runtime-cli.js';
import { BerthRuntime } from '../../../node-agent/runtime/berth-runtime.js';
import { ExitWatches } from '../../../node-agent/runtime/exit-watch.js';
import { HostMounter, mountPointsUnder } from '../../../node-agent/runtime/mounter.js';
import { ImageStore } from '../../../node-agent/image/index.js';
import { createAndStartInstance } from '../../../node-agent/agent/container-create.js';
import { buildBusyboxImage } from '../../support/image-build.js';
import { startRegistry, type TestRegistry } from '../../support/registry-server.js';
import { cgroupDirs, cgroupMounts, cgroupPids, entriesNamed, exists, processesMatching, removeCgroupTree } from '../../support/runtime-host.js';
import { identityLayerEntries } from '../../support/runtime-layers.js';
import { markTopDir, runCommand } from '../../../node-agent/native/index.js';
import { describeRuntimeConformance, type RuntimeUnderTest } from './runtime-conformance.js';

/**
 * The conformance suite against BerthRuntime and the real berth-runtime binary, with a real
 * image: busybox plus a layer adding user `app`, pushed to a local docker-registry and pulled
 * by the ImageStore, so the rootfs is made of layers exactly as the agent gets them.
 */
async function makeBerthRuntimeUnderTest(): Promise<RuntimeUnderTest & { cgroupParent: string; root: string }> {
  const base = await mkdtemp(join(tmpdir(), 'berth-rt-conf-'));
  const root = join(base, 'root');
  const cgroupParent = `berth-test-${randomBytes(4).toString('hex')}`;
  let registry: TestRegistry | undefined;
  let image;
  try {
    registry = await startRegistry();
    const built = await buildBusyboxImage(registry.address, `runtime-conformance-${randomBytes(4).toString('hex')}`, 'v1', identityLayerEntries);
    image = await new ImageStore({ root: join(base, 'images'), insecureRegistries: [registry.address] }).pull(built.reference);
  } finally {
    await registry?.stop(); // the pulled layers are all the tests need
  }
  const hostFile = { path: join(base, 'resolv.conf'), content: 'nameserver 10.96.0.10\nsearch default.svc.cluster.local\n' };
  await writeFile(hostFile.path, hostFile.content);
  await mkdir(root, { mode: 0o700 });
  const make = () => new BerthRuntime({ root, defaultCgroupParent: cgroupParent, pollIntervalMs: 50 });
  const cli = new BerthRuntimeCli(defaultBinaryPath(), join(root, 'state'));

  return {
    cgroupParent,
    root,
    runtime: make(),
    image,
    pod: { cgroupParent },
    hostFile,
    reopen: make,
    async leftovers(id) {
      const left: string[] = [];
      left.push(...(await mountPointsUnder(root)).filter((p) => p.includes(id)).map((p) => `mount ${p}`));
      left.push(...(await cgroupDirs(`/${cgroupParent}/${id}`)).map((d) => `cgroup ${d}`));
      left.push(...(await entriesNamed(root, id)).map((p) => `file ${p}`));
      if ((await cli.list()).some((s) => s.id === id)) left.push(`berth-runtime state ${id}`);
      left.push(...(await processesMatching(`/${cgroupParent}/${id}`, id)).map((p) => `process ${p.pid} (${p.why})`));
      return left;
    },
    cgroupProcesses: (id) => cgroupPids(`/${cgroupParent}/${id}`),
    async dispose() {
      // Whatever the tests left: processes by PID (only ours: in our cgroup parent or naming our root), then the rest.
      for (const { pid } of await processesMatching(`/${cgroupParent}/`, root)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (await exists(join(root, 'state'))) {
        for (const state of await cli.list().catch(() => [])) await cli.delete(state.id, true).catch(() => undefined);
      }
      const mounter = new HostMounter();
      for (const point of await mountPointsUnder(base)) await mounter.unmount(point, true);
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          await removeCgroupTree(`/${cgroupParent}`);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100)); // killed processes take a moment to leave
        }
      }
      await rm(base, { recursive: true, force: true });
    },
  };
}

describeRuntimeConformance('BerthRuntime (berth-runtime binary)', makeBerthRuntimeUnderTest);

describe('BerthRuntime cgroup settings', function () {
  this.timeout(60_000);
  let rt: Awaited<ReturnType<typeof makeBerthRuntimeUnderTest>> | undefined;
  const id = `cg-${randomBytes(6).toString('hex')}`;
  before(async () => {
    rt = await makeBerthRuntimeUnderTest();
  });
  after(async () => {
    await rt?.runtime.remove(id, { force: true }).catch(() => undefined);
    await rt?.dispose();
  });

  it('writes the resources of the spec into the container cgroup (Kubernetes formulas, pids limit default)', async () => {
    if (!rt) throw new Error('fixture missing');
    await rt.runtime.create({
      id,
      container: { name: 'limits', command: ['sleep', '1000'], resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m' } } },
      image: rt.image,
      pod: rt.pod,
    });
    const values = await cgroupValues(`/${rt.cgroupParent}/${id}`);
    expect(values).to.deep.equal(
      values.version === 2
        ? { version: 2, memory: '67108864', cpu: '50000 100000', weight: String(1 + Math.floor(((256 - 2) * 9999) / 262142)), pids: '4096' }
        : { version: 1, memory: '67108864', cpu: '50000 100000', weight: '256', pids: '4096' },
    );
  });
});

describe('BerthRuntime directories', function () {
  this.timeout(60_000);
  let rt: Awaited<ReturnType<typeof makeBerthRuntimeUnderTest>> | undefined;
  before(async () => {
    rt = await makeBerthRuntimeUnderTest();
  });
  after(async () => {
    await rt?.dispose();
  });

  it('marks the per-container parents as hierarchy tops for ext4 (chattr +T), so containers spread over block groups', async () => {
    if (!rt) throw new Error('fixture missing');
    expect(await rt.runtime.list()).to.deep.equal([]);
    const fsType = (await runCommand('stat', ['-f', '-c', '%T', rt.root])).stdout.trim();
    for (const dir of ['containers', 'state']) {
      const { stdout } = await runCommand('lsattr', ['-d', join(rt.root, dir)]);
      const flags = stdout.split(' ')[0] ?? '';
      // ext4 shows as ext2/ext3 to stat -f; other filesystems have no such flag, and nothing else changes.
      if (fsType === 'ext2/ext3') expect(flags, `${dir}: ${stdout}`).to.contain('T');
      else expect(markTopDir(join(rt.root, dir))).to.equal(false);
    }
  });
});

describe('BerthRuntime after an agent crash', function () {
  this.timeout(60_000);
  let rt: Awaited<ReturnType<typeof makeBerthRuntimeUnderTest>> | undefined;
  const ids = [`crash-a-${randomBytes(4).toString('hex')}`, `crash-b-${randomBytes(4).toString('hex')}`];
  before(async () => {
    rt = await makeBerthRuntimeUnderTest();
  });
  after(async () => {
    for (const id of ids) await rt?.runtime.remove(id, { force: true }).catch(() => undefined);
    await rt?.dispose();
  });

  it('creates a container over one cut short before its metadata was written, and leaves nothing after removal', async () => {
    if (!rt) throw new Error('fixture missing');
    const id = ids[0] as string;
    await mkdir(join(rt.root, 'containers', id), { recursive: true, mode: 0o700 }); // what a crash right after mkdir leaves
    const status = await createAndStartInstance(rt.runtime, { id, container: { name: 'again', command: ['sleep', '1000'] }, image: rt.image, pod: rt.pod });
    expect(status.state).to.equal('running');
    await rt.runtime.remove(id, { force: true });
    expect(await rt.leftovers(id)).to.deep.equal([]);
  });

  it('survives a metadata file cut short by a power loss: listing works, and a forced removal clears the container', async () => {
    if (!rt) throw new Error('fixture missing');
    const id = ids[1] as string;
    await rt.runtime.create({ id, container: { name: 'cut', command: ['sleep', '1000'] }, image: rt.image, pod: rt.pod });
    await writeFile(join(rt.root, 'containers', id, 'berth-container.json'), '');
    const fresh = rt.reopen();
    expect((await fresh.list()).map((c) => c.id)).to.not.include(id);
    await fresh.remove(id, { force: true });
    expect(await rt.leftovers(id)).to.deep.equal([]);
  });
});

describe('BerthRuntime exit watches', function () {
  this.timeout(60_000);
  let rt: Awaited<ReturnType<typeof makeBerthRuntimeUnderTest>> | undefined;
  const ids: string[] = [];
  before(async () => {
    rt = await makeBerthRuntimeUnderTest();
  });
  after(async () => {
    for (const id of ids) await rt?.runtime.remove(id, { force: true }).catch(() => undefined);
    await rt?.dispose();
  });

  async function startSleeper(): Promise<{ id: string; pid: number }> {
    if (!rt) throw new Error('fixture missing');
    const id = `watch-${randomBytes(4).toString('hex')}`;
    ids.push(id);
    const { pid } = await rt.runtime.createAndStart({ id, container: { name: 'sleeper', command: ['sleep', '1000'] }, image: rt.image, pod: rt.pod });
    if (pid === undefined) throw new Error(`container ${id} has no pid`);
    return { id, pid };
  }

  /** Resolves at the first call of a watch armed on `watches`, disarming it. */
  function heard(watches: { watch(id: string, onExit: () => void): () => void }, id: string): Promise<void> {
    return new Promise((resolve) => {
      const disarm = watches.watch(id, () => {
        disarm();
        resolve();
      });
    });
  }

  it('hears a recorded exit, and one before the watch was armed, without waiting for the safety sweep', async () => {
    if (!rt) throw new Error('fixture missing');
    // A sweep that never comes within the test: only the exit record and the look at arming can tell.
    const watches = new ExitWatches(join(rt.root, 'state'), 3_600_000);
    const { id, pid } = await startSleeper();
    const exit = heard(watches, id);
    process.kill(pid, 'SIGKILL');
    await exit;
    expect(await rt.runtime.inspect(id)).to.include({ state: 'exited', exitCode: 137 });
    await heard(watches, id);
  });

  it('hears the end of a container whose monitor was killed by hand, when nothing records the exit', async () => {
    if (!rt) throw new Error('fixture missing');
    const { id, pid } = await startSleeper();
    const monitorPid = (await new BerthRuntimeCli(defaultBinaryPath(), join(rt.root, 'state')).state(id))?.monitorPid;
    if (!monitorPid) throw new Error(`container ${id} has no monitor`);
    const exit = heard({ watch: (i, onExit) => rt?.runtime.watchExit(i, onExit) ?? (() => undefined) }, id);
    process.kill(monitorPid, 'SIGKILL');
    process.kill(pid, 'SIGKILL');
    await exit;
    const status = await rt.runtime.inspect(id);
    expect(status.state).to.equal('exited');
    expect(status.exitCode, 'nothing recorded an exit code').to.equal(undefined);
  });
});

/** The container's memory, cpu and pids settings as the kernel shows them, v1 or v2 (whichever the runtime used). */
async function cgroupValues(path: string): Promise<Record<string, string | number>> {
  const read = async (file: string) => (await readFile(file, 'utf8')).trim();
  const unified = (await cgroupMounts()).find((m) => m === '/sys/fs/cgroup' || m.endsWith('/unified'));
  if (unified && (await exists(join(unified, path, 'memory.max')))) {
    const dir = join(unified, path);
    return { version: 2, memory: await read(join(dir, 'memory.max')), cpu: await read(join(dir, 'cpu.max')), weight: await read(join(dir, 'cpu.weight')), pids: await read(join(dir, 'pids.max')) };
  }
  const v1 = (controller: string, file: string) => read(join('/sys/fs/cgroup', controller, path, file));
  return {
    version: 1,
    memory: await v1('memory', 'memory.limit_in_bytes'),
    cpu: `${await v1('cpu', 'cpu.cfs_quota_us')} ${await v1('cpu', 'cpu.cfs_period_us')}`,
    weight: await v1('cpu', 'cpu.shares'),
    pids: await v1('pids', 'pids.max'),
  };
}
