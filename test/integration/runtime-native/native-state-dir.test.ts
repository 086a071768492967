/**
 * berth-runtime's on-disk state format (version 1, documented in node-agent/native/runtime/state.c)
 * is a contract: what runtime-state-dir.ts reads from disk must equal what `berth-runtime state`
 * and `list` print, through the whole lifecycle of real containers.
 */
import { expect } from 'chai';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listStateDir, readStateDir } from '../../../node-agent/runtime/runtime-state-dir.js';
import { makeBundle, removeDir } from '../../support/native-busybox-bundle.js';
import { NativeRuntime, useNativeFixture } from '../../support/native-runtime.js';

describe('berth-runtime state directory read from disk (native)', function () {
  this.timeout(30000);
  let rootfs: string;
  let work: string;
  let rt: NativeRuntime;
  let n = 0;
  const nextId = (): string => rt.track(`sdir-${++n}`);
  const bundle = (id: string, args: string[]): string => makeBundle(work, id, { rootfs, args, cgroupsPath: rt.cgroupsPath(id) });
  const fromDisk = (id: string): unknown => {
    const read = readStateDir(rt.root, id);
    return read.kind === 'found' ? read.state : read;
  };
  const fromBinary = async (id: string): Promise<unknown> => JSON.parse(await rt.ok(['state', id]));

  useNativeFixture('native-sdir-', (f) => ({ rootfs, work, rt } = f), { deleteAfterEach: true });

  it('equals `berth-runtime state` when created, running, and stopped with its exit record', async () => {
    const id = nextId();
    await rt.create(id, bundle(id, ['sleep', '1000']));
    expect(fromDisk(id)).to.deep.include({ status: 'created' });
    expect(fromDisk(id)).to.deep.equal(await fromBinary(id));

    await rt.ok(['start', id]);
    expect(fromDisk(id)).to.deep.include({ status: 'running' });
    expect(fromDisk(id)).to.deep.equal(await fromBinary(id));

    await rt.ok(['kill', id, 'KILL']);
    await rt.waitStopped(id);
    expect(fromDisk(id)).to.deep.include({ status: 'stopped', pid: 0, exitCode: 137, oomKilled: false });
    expect(fromDisk(id)).to.deep.equal(await fromBinary(id));
  });

  it('equals `berth-runtime list` for every container', async () => {
    const a = nextId();
    const b = nextId();
    await rt.create(a, bundle(a, ['sleep', '1000']));
    await rt.create(b, bundle(b, ['sh', '-c', 'exit 3']));
    await rt.ok(['start', b]);
    await rt.waitStopped(b);
    const listed = listStateDir(rt.root);
    expect(listed.kind).to.equal('found');
    const byId = (states: Array<{ id: string }>) => [...states].sort((x, y) => x.id.localeCompare(y.id));
    const binary = JSON.parse(await rt.ok(['list'])) as Array<{ id: string }>;
    expect(byId(listed.kind === 'found' ? listed.states : [])).to.deep.equal(byId(binary));
  });

  it('writes the format version into state.json', async () => {
    const id = nextId();
    await rt.create(id, bundle(id, ['sleep', '1000']));
    expect(JSON.parse(readFileSync(join(rt.root, id, 'state.json'), 'utf8'))).to.include({ stateVersion: 1 });
  });

  it('treats an unknown id and a container still being created (no state.json) as absent, like list', async () => {
    expect(readStateDir(rt.root, 'never-made')).to.deep.equal({ kind: 'absent' });
    const half = 'sdir-half';
    mkdirSync(join(rt.root, half), { mode: 0o700 });
    try {
      expect(readStateDir(rt.root, half)).to.deep.equal({ kind: 'absent' });
      expect(JSON.parse(await rt.ok(['list']))).to.deep.equal([]);
    } finally {
      removeDir(join(rt.root, half));
    }
  });

  it('refuses a format version it does not know, so the caller asks the binary instead', () => {
    const future = 'sdir-future';
    mkdirSync(join(rt.root, future), { mode: 0o700 });
    try {
      writeFileSync(join(rt.root, future, 'state.json'), JSON.stringify({ stateVersion: 2, id: future, pid: 1 }));
      expect(readStateDir(rt.root, future)).to.deep.equal({ kind: 'unsupported', version: 2 });
      expect(listStateDir(rt.root)).to.deep.equal({ kind: 'unsupported' });
    } finally {
      removeDir(join(rt.root, future));
    }
  });
});
