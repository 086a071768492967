import { expect } from 'chai';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthRuntime } from '../../../node-agent/runtime/berth-runtime.js';
import { InvalidSpecError, RuntimeCommandError } from '../../../node-agent/runtime/errors.js';
import { writeMeta } from '../../../node-agent/runtime/container-meta.js';
import { HostMounter, mountPointsUnder } from '../../../node-agent/runtime/mounter.js';
import { Rootfs } from '../../../node-agent/runtime/rootfs.js';
import { buildBusyboxLayer, layersImage } from '../../support/runtime-layers.js';

/**
 * create() undoes its steps when the last one (berth-runtime create) fails. The binary is a
 * stand-in script here, so the failure is certain and the test needs no container support;
 * the conformance suite covers the same with the real binary.
 */
describe('runtime/BerthRuntime create undo (stand-in binary)', () => {
  let base: string;
  let root: string;
  let calls: string;
  let runtime: BerthRuntime;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'berth-rt-undo-'));
    root = join(base, 'root');
    calls = join(base, 'calls');
    const fake = join(base, 'fake-berth-runtime');
    // Records its arguments; `create` fails after "creating" nothing; `list` knows no container.
    await writeFile(
      fake,
      `#!/bin/sh\necho "$@" >> '${calls}'\ncase "$3" in\n  create) echo 'create: mount /data: no such file or directory' >&2; exit 1;;\n  list) echo '[]';;\n  *) echo "$3: container does not exist" >&2; exit 1;;\nesac\n`,
    );
    await chmod(fake, 0o755);
    runtime = new BerthRuntime({ root, binaryPath: fake });
  });
  afterEach(async () => {
    const mounter = new HostMounter();
    for (const point of await mountPointsUnder(base)) await mounter.unmount(point, true);
    await rm(base, { recursive: true, force: true });
  });

  it('unmounts the rootfs and removes the bundle when berth-runtime create fails', async () => {
    const image = layersImage([await buildBusyboxLayer(join(base, 'layer'))]);
    let error: unknown;
    try {
      await runtime.create({ id: 'undo-1', container: { name: 'c', command: ['sh'] }, image });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(RuntimeCommandError);
    expect((error as Error).message).to.contain('create: mount /data: no such file or directory');
    expect(await readFile(calls, 'utf8')).to.match(/--root \S+ create --bundle \S+\/containers\/undo-1 --container-log \S+ --log-max-size 10485760 --log-max-files 5 undo-1\n/);
    expect(await mountPointsUnder(base)).to.deep.equal([]);
    expect(await readdir(join(root, 'containers'))).to.deep.equal([]);
    expect(await runtime.list()).to.deep.equal([]);
  });

  it('removes the bundle when the spec is invalid, before running berth-runtime at all', async () => {
    const image = layersImage([await buildBusyboxLayer(join(base, 'layer'))], { User: 'nobody-here' });
    let error: unknown;
    try {
      await runtime.create({ id: 'undo-2', container: { name: 'c', command: ['sh'] }, image });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(InvalidSpecError);
    expect((error as Error).message).to.contain("user 'nobody-here' not found");
    expect(await mountPointsUnder(base)).to.deep.equal([]);
    expect(await readdir(join(root, 'containers'))).to.deep.equal([]);
    expect(await readFile(calls, 'utf8').catch(() => '')).to.not.contain(' create ');
  });

  it('shows a container whose create was cut short (agent killed) as exited, and remove() cleans it up', async () => {
    // What a create leaves when killed after mounting the rootfs, before berth-runtime create.
    const dir = join(root, 'containers', 'cut-short');
    await mkdir(dir, { recursive: true });
    await writeMeta(dir, { id: 'cut-short', name: 'c', image: 'i', imageDigest: 'd', labels: {}, createdAt: '2026-01-01T00:00:00.000Z', stopSignal: 'SIGTERM' });
    await new Rootfs(dir, new HostMounter()).mount([await buildBusyboxLayer(join(base, 'layer'))]);
    const restarted = new BerthRuntime({ root, binaryPath: join(base, 'fake-berth-runtime') });
    expect((await restarted.list()).map((c) => [c.id, c.state])).to.deep.equal([['cut-short', 'exited']]);
    await restarted.remove('cut-short');
    expect(await mountPointsUnder(base)).to.deep.equal([]);
    expect(await readdir(join(root, 'containers'))).to.deep.equal([]);
  });

  it('refuses an id that could name a path', async () => {
    let error: unknown;
    try {
      await runtime.create({ id: '../escape', container: { name: 'c', command: ['sh'] }, image: layersImage(['/nonexistent']) });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(InvalidSpecError);
    expect((error as Error).message).to.contain("'../escape' is not a valid container id");
  });
});
