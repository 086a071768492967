import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdRangesExhaustedError, parseIdPool, PodIdRanges } from '../../../node-agent/userns/id-ranges.js';

describe('userns/id-ranges: the host id ranges of pods with hostUsers: false', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'id-ranges-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const onDisk = () => JSON.parse(readFileSync(join(root, 'userns', 'ranges.json'), 'utf8')) as Record<string, unknown>;

  it('gives each pod its own 65536 ids at a multiple of 65536, never the range at 0, and the same one when asked again', async () => {
    const ranges = new PodIdRanges(root);
    await ranges.load();
    const a = await ranges.allocate('pod-a');
    const b = await ranges.allocate('pod-b');
    expect(a).to.deep.equal({ hostId: 65536, size: 65536 });
    expect(b).to.deep.equal({ hostId: 131072, size: 65536 });
    expect(await ranges.allocate('pod-a')).to.deep.equal(a);
    expect(onDisk()).to.deep.equal({ 'pod-a': a, 'pod-b': b });
  });

  it('keeps the allocations across a restart (a new instance loading the file) and hands none out twice', async () => {
    const first = new PodIdRanges(root);
    await first.load();
    const a = await first.allocate('pod-a');
    const b = await first.allocate('pod-b');
    const restarted = new PodIdRanges(root);
    await restarted.load();
    expect(restarted.rangeOf('pod-a')).to.deep.equal(a);
    expect(await restarted.allocate('pod-b')).to.deep.equal(b);
    const c = await restarted.allocate('pod-c');
    expect([a.hostId, b.hostId]).to.not.include(c.hostId);
  });

  it('reuses a range only once its pod released it', async () => {
    const ranges = new PodIdRanges(root, { first: 65536, count: 2 });
    await ranges.load();
    const a = await ranges.allocate('pod-a');
    await ranges.allocate('pod-b');
    await ranges.release('pod-a');
    expect(onDisk()).to.not.have.property('pod-a');
    expect(await ranges.allocate('pod-c')).to.deep.equal(a);
    await ranges.release('no-such-pod');
  });

  it('fails with a clear error when every range is held, and hands out nothing', async () => {
    const ranges = new PodIdRanges(root, { first: 65536, count: 2 });
    await ranges.load();
    await ranges.allocate('pod-a');
    await ranges.allocate('pod-b');
    let error: unknown;
    try {
      await ranges.allocate('pod-c');
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(IdRangesExhaustedError);
    expect((error as Error).message).to.equal('no free user namespace range on this node: all 2 ranges of 65536 host ids in 65536-196607 are held by pods; remove pods with hostUsers: false or give the agent a larger --userns-ids pool');
    expect(ranges.rangeOf('pod-c')).to.equal(undefined);
    expect(Object.keys(onDisk())).to.deep.equal(['pod-a', 'pod-b']);
  });

  it('frees, at start, the ranges of pods that are gone, and keeps a range outside a changed pool without handing it out', async () => {
    const old = new PodIdRanges(root, { first: 65536 * 5, count: 2 });
    await old.load();
    const kept = await old.allocate('running');
    await old.allocate('gone');
    // The agent comes back with a pool that no longer covers the running pod's range.
    const ranges = new PodIdRanges(root, { first: 65536 * 6, count: 2 });
    await ranges.load();
    expect(await ranges.keepOnly(new Set(['running']))).to.deep.equal(['gone']);
    expect(Object.keys(onDisk())).to.deep.equal(['running']);
    expect((await ranges.allocate('new-1')).hostId).to.equal(65536 * 6);
    expect((await ranges.allocate('new-2')).hostId).to.equal(65536 * 7);
    expect(ranges.rangeOf('running')).to.deep.equal(kept);
  });

  it('refuses a file it cannot trust instead of handing out ranges twice', async () => {
    mkdirSync(join(root, 'userns'));
    writeFileSync(join(root, 'userns', 'ranges.json'), JSON.stringify({ 'pod-a': { hostId: 65536, size: 10 } }));
    let error: unknown;
    await new PodIdRanges(root).load().catch((err: unknown) => (error = err));
    expect(String(error)).to.match(/the range of pod pod-a is not a range of 65536 ids/);
  });

  it('reads the pool flag FIRST-LAST, refusing ranges that are not whole 65536-id blocks above 0', () => {
    expect(parseIdPool('65536-196607')).to.deep.equal({ first: 65536, count: 2 });
    expect(() => parseIdPool('0-65535')).to.throw(/FIRST \(0\) must be a multiple of 65536, at least 65536/);
    expect(() => parseIdPool('65536-100000')).to.throw(/LAST \(100000\) must be a multiple of 65536 minus 1/);
    expect(() => parseIdPool('65536-4294967295')).to.throw(/LAST \(4294967295\) must be at most 4294901759/);
    expect(() => parseIdPool('65536')).to.throw(/expected FIRST-LAST host ids, e.g. 65536-67174399/);
  });
});
