import { expect } from 'chai';
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineAssembler, parseCriRecord, readCriLog, type LogEntry } from '../../../node-agent/runtime/cri-log.js';

describe('runtime/cri-log', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-rt-log-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const collect = async (it: AsyncIterable<LogEntry>) => {
    const out: string[] = [];
    for await (const e of it) out.push(`${e.stream}:${e.text}`);
    return out;
  };

  it('parses a record, keeping spaces in the text', () => {
    expect(parseCriRecord('2026-11-30T01:02:03.123456789Z stdout F hello  world ')).to.deep.equal({
      time: '2026-11-30T01:02:03.123456789Z',
      stream: 'stdout',
      partial: false,
      text: 'hello  world ',
    });
    expect(parseCriRecord('2026-11-30T01:02:03Z stderr P')).to.include({ stream: 'stderr', partial: true, text: '' });
    expect(parseCriRecord('garbage')).to.equal(undefined);
  });

  it('joins partial records per stream', () => {
    const a = new LineAssembler();
    const rec = (stream: 'stdout' | 'stderr', p: boolean, text: string) => ({ time: 't', stream, partial: p, text });
    expect(a.push(rec('stdout', true, 'hel'))).to.equal(undefined);
    expect(a.push(rec('stderr', false, 'oops'))).to.deep.equal({ time: 't', stream: 'stderr', text: 'oops' });
    expect(a.push(rec('stdout', false, 'lo'))).to.deep.equal({ time: 't', stream: 'stdout', text: 'hello' });
  });

  it('reads all lines, or the last N with tail; a missing file has none', async () => {
    const path = join(dir, 'c.log');
    await writeFile(path, ['T stdout F one', 'T stderr F two', 'T stdout P th', 'T stdout F ree', 'T stdout F four', 'T stdout F incomplete-no-newline'].join('\n'));
    expect(await collect(readCriLog(path))).to.deep.equal(['stdout:one', 'stderr:two', 'stdout:three', 'stdout:four']);
    expect(await collect(readCriLog(path, { tail: 2 }))).to.deep.equal(['stdout:three', 'stdout:four']);
    expect(await collect(readCriLog(path, { tail: 0 }))).to.deep.equal([]);
    expect(await collect(readCriLog(join(dir, 'missing.log')))).to.deep.equal([]);
  });

  it('follows new lines until the writer is finished, then ends', async () => {
    const path = join(dir, 'f.log');
    await writeFile(path, 'T stdout F first\n');
    let finished = false;
    const seen: string[] = [];
    const follow = (async () => {
      for await (const e of readCriLog(path, { follow: true, tail: 1, pollMs: 10, isFinished: async () => finished })) {
        seen.push(e.text);
        if (e.text === 'first') await appendFile(path, 'T stdout F second\nT stdout P thi');
        if (e.text === 'second') {
          await appendFile(path, 'rd\nT stdout F !\nT stdout F\n');
          finished = true;
        }
      }
    })();
    await follow;
    expect(seen).to.deep.equal(['first', 'second', 'third!', '']);
  });

  it('still reads the last lines when the log file is removed right after the writer finished', async () => {
    const path = join(dir, 'gone.log');
    await writeFile(path, 'T stdout F started\n');
    let looks = 0;
    // Between two looks, the container writes its last line, exits and is removed with its log.
    const isFinished = async () => {
      if (++looks === 1) return false;
      await appendFile(path, 'T stdout F last words\n');
      await rm(path);
      return true;
    };
    expect(await collect(readCriLog(path, { follow: true, pollMs: 10, isFinished }))).to.deep.equal(['stdout:started', 'stdout:last words']);
  });

  it('reads the rotated files first, oldest to newest, joining a line split across a rotation; tail counts across files', async () => {
    const path = join(dir, 'r.log');
    await writeFile(`${path}.2`, 'T stdout F one\n');
    await writeFile(`${path}.1`, 'T stdout F two\nT stderr P split \n');
    await writeFile(path, 'T stderr F line\nT stdout F three\n');
    expect(await collect(readCriLog(path))).to.deep.equal(['stdout:one', 'stdout:two', 'stderr:split line', 'stdout:three']);
    expect(await collect(readCriLog(path, { tail: 3 }))).to.deep.equal(['stdout:two', 'stderr:split line', 'stdout:three']);
  });

  it('follows across rotations, also two between looks, reading every line once and in order', async () => {
    const path = join(dir, 'rf.log');
    await writeFile(path, 'T stdout F a\n');
    // What the monitor does: the log becomes .1 (.1 becomes .2), and a new log is begun.
    const rotate = async () => {
      await rename(`${path}.1`, `${path}.2`).catch(() => {});
      await rename(path, `${path}.1`);
      await writeFile(path, '', { flag: 'wx' });
    };
    let finished = false;
    const seen: string[] = [];
    for await (const e of readCriLog(path, { follow: true, pollMs: 10, isFinished: async () => finished })) {
      seen.push(e.text);
      if (e.text === 'a') {
        // Written to the old file after the reader's look, then rotated away, twice.
        await appendFile(path, 'T stdout F b\n');
        await rotate();
        await appendFile(path, 'T stdout F c\n');
        await rotate();
        await appendFile(path, 'T stdout F d\n');
      }
      if (e.text === 'd') {
        await rotate();
        await appendFile(path, 'T stdout F e\n');
        finished = true;
      }
    }
    expect(seen).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
  });

  it('stops following when aborted', async () => {
    const path = join(dir, 'a.log');
    await writeFile(path, 'T stdout F only\n');
    const controller = new AbortController();
    const seen: string[] = [];
    for await (const e of readCriLog(path, { follow: true, pollMs: 10, isFinished: async () => false, signal: controller.signal })) {
      seen.push(e.text);
      controller.abort();
    }
    expect(seen).to.deep.equal(['only']);
  });
});
