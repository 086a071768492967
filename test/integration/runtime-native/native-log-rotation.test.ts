/**
 * berth-runtime's rotation of the container log (--log-max-size, --log-max-files), read back
 * with the agent's own reader, as `berth logs` reads it: nothing split, nothing read twice.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readCriLog } from '../../../node-agent/runtime/cri-log.js';
import { makeBundle } from '../../support/native-busybox-bundle.js';
import { NativeRuntime, useNativeFixture } from '../../support/native-runtime.js';

describe('berth-runtime container log rotation (native)', function () {
  this.timeout(60000);
  let rootfs: string;
  let work: string;
  let rt: NativeRuntime;
  let n = 0;
  const nextId = (): string => rt.track(`rot-${++n}`);
  const bundle = (id: string, args: string[]): string => makeBundle(work, id, { rootfs, args, cgroupsPath: rt.cgroupsPath(id) });
  const rotation = ['--log-max-size', '4096', '--log-max-files', '3'];
  // Lines of about 100 bytes as records: 4096-byte files hold some forty each.
  const printLines = (count: number, pause = '') =>
    `i=1; while [ $i -le ${count} ]; do printf 'line-%04d %s\\n' $i ${'x'.repeat(60)}; ${pause} i=$((i+1)); done`;
  const texts = async (path: string, options: Parameters<typeof readCriLog>[1] = {}): Promise<string[]> => {
    const out: string[] = [];
    for await (const e of readCriLog(path, options)) out.push(e.text.split(' ')[0] ?? '');
    return out;
  };
  const numbered = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `line-${String(from + i).padStart(4, '0')}`);

  useNativeFixture('native-rot-', (f) => ({ rootfs, work, rt } = f), { deleteAfterEach: true });

  it('keeps at most N files of at most the size, the newest lines, whole and in order', async () => {
    const id = nextId();
    const log = rt.logPath(id);
    const r = await rt.exec(['run', '--container-log', log, ...rotation, '--bundle', bundle(id, ['sh', '-c', printLines(500)]), id]);
    expect(r.code, r.stderr).to.equal(0);
    const files = readdirSync(rt.logDir).filter((f) => f.startsWith(`${id}.log`)).sort();
    expect(files).to.deep.equal([`${id}.log`, `${id}.log.1`, `${id}.log.2`]);
    for (const f of files) expect(statSync(`${rt.logDir}/${f}`).size, f).to.be.at.most(4096).and.above(0);
    const lines = await texts(log);
    // The oldest lines went with the deleted files; what is kept runs without a gap to the last.
    expect(lines.length).to.be.within(80, 130);
    const first = Number(lines[0]?.slice(5));
    expect(lines).to.deep.equal(numbered(first, 500));
    expect(await texts(log, { tail: 5 })).to.deep.equal(numbered(496, 500));
  });

  it('lets a follower read every line once, in order, across the rotations while the container writes', async () => {
    const id = nextId();
    const log = rt.logPath(id);
    await rt.ok(['run', '--detach', '--container-log', log, ...rotation, '--bundle', bundle(id, ['sh', '-c', printLines(300, 'usleep 3000;')]), id]);
    const isFinished = async () => (await rt.state(id)).status === 'stopped';
    const lines = await texts(log, { follow: true, pollMs: 10, isFinished });
    expect(lines).to.deep.equal(numbered(1, 300));
    expect(existsSync(`${log}.2`)).to.equal(true);
    expect(existsSync(`${log}.3`)).to.equal(false);
  });

  it('refuses bad rotation options before creating anything', async () => {
    const id = nextId();
    const log = rt.logPath(id);
    const tooFew = await rt.exec(['create', '--container-log', log, '--log-max-size', '4096', '--log-max-files', '1', '--bundle', bundle(id, ['true']), id]);
    expect(tooFew.code).to.equal(2);
    expect(tooFew.stderr).to.contain('--log-max-files needs a number from 2 to 1000');
    const noSize = await rt.exec(['create', '--container-log', log, '--log-max-size', '10MiB', '--bundle', bundle(id, ['true']), id]);
    expect(noSize.stderr).to.contain('--log-max-size needs a number of bytes');
    expect(existsSync(`${rt.root}/${id}`)).to.equal(false);
    expect(existsSync(log)).to.equal(false);
  });
});
