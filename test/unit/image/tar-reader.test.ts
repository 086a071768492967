import { expect } from 'chai';

import { parsePax, readTar, type TarHeader } from '../../../node-agent/image/tar-reader.js';
import { buildTar } from '../../support/image-tar.js';

function chunked(data: Buffer, size: number): AsyncIterator<Uint8Array> {
  let pos = 0;
  return {
    next: async () => {
      if (pos >= data.length) return { done: true, value: undefined };
      const c = data.subarray(pos, pos + size);
      pos += size;
      return { done: false, value: c };
    },
  };
}

async function readAll(tar: Buffer, chunk = 7): Promise<Array<{ h: TarHeader; body: string }>> {
  const out: Array<{ h: TarHeader; body: string }> = [];
  for await (const e of readTar(chunked(tar, chunk))) {
    const parts: Buffer[] = [];
    for await (const c of e.body()) parts.push(c);
    out.push({ h: e.header, body: Buffer.concat(parts).toString() });
  }
  return out;
}

describe('tar reader', () => {
  it('reads files, directories, symlinks, hardlinks and devices with their metadata', async () => {
    const tar = buildTar([
      { name: 'dir/', type: 'dir', mode: 0o750, uid: 7, gid: 8, mtime: 1000 },
      { name: 'dir/file', content: 'hello', mode: 0o4755, uid: 65534, gid: 65534, mtime: 2000 },
      { name: 'dir/link', type: 'symlink', linkname: '../etc/x' },
      { name: 'dir/hard', type: 'hardlink', linkname: 'dir/file' },
      { name: 'dev/null', type: 'chardev', devmajor: 1, devminor: 3 },
    ]);
    const e = await readAll(tar);
    expect(e.map((x) => [x.h.name, x.h.type])).to.deep.equal([
      ['dir/', 'directory'],
      ['dir/file', 'file'],
      ['dir/link', 'symlink'],
      ['dir/hard', 'hardlink'],
      ['dev/null', 'chardev'],
    ]);
    expect(e[0]?.h).to.include({ mode: 0o750, uid: 7, gid: 8, mtimeSec: 1000 });
    expect(e[1]?.h).to.include({ mode: 0o4755, uid: 65534, size: 5, mtimeSec: 2000 });
    expect(e[1]?.body).to.equal('hello');
    expect(e[2]?.h.linkname).to.equal('../etc/x');
    expect(e[3]?.h.linkname).to.equal('dir/file');
    expect(e[4]?.h).to.include({ devmajor: 1, devminor: 3 });
  });

  it('applies pax records: long names, long link targets, fractional mtimes, xattrs', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(80)}`;
    const tar = buildTar([
      { name: long, content: 'x', pax: { mtime: '1700000000.5', 'SCHILY.xattr.user.test': 'v' } },
      { name: 'l', type: 'symlink', linkname: `/${'t'.repeat(150)}` },
    ]);
    const e = await readAll(tar);
    expect(e[0]?.h.name).to.equal(long);
    expect(e[0]?.h.mtimeSec).to.equal(1700000000);
    expect(e[0]?.h.mtimeNsec).to.equal(500000000);
    expect(e[0]?.h.xattrs['user.test']?.toString()).to.equal('v');
    expect(e[1]?.h.linkname).to.equal(`/${'t'.repeat(150)}`);
  });

  it('skips bodies the consumer did not read', async () => {
    const tar = buildTar([
      { name: 'a', content: 'x'.repeat(1500) },
      { name: 'b', content: 'second' },
    ]);
    const names: string[] = [];
    let body = '';
    for await (const e of readTar(chunked(tar, 100))) {
      names.push(e.header.name);
      if (e.header.name === 'b') for await (const c of e.body()) body += c.toString();
    }
    expect(names).to.deep.equal(['a', 'b']);
    expect(body).to.equal('second');
  });

  it('leaves the bytes after the end-of-archive marker to the caller', async () => {
    const tar = Buffer.concat([buildTar([{ name: 'a', content: 'x' }]), Buffer.alloc(2048)]);
    const it = chunked(tar, 512);
    const e = [];
    for await (const x of readTar(it)) e.push(x.header.name);
    let rest = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) rest += r.value.length;
    expect(e).to.deep.equal(['a']);
    expect(rest).to.be.greaterThan(0);
  });

  it('rejects a corrupt header and a truncated body', async () => {
    const tar = buildTar([{ name: 'a', content: 'hello' }]);
    const corrupt = Buffer.from(tar);
    corrupt[0] = 0x42;
    let err: unknown;
    try {
      await readAll(corrupt);
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/checksum/);
    err = undefined;
    try {
      await readAll(tar.subarray(0, 514));
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/truncated/);
  });

  it('parses pax records with binary values', () => {
    const m = parsePax(Buffer.from('11 path=ab\n17 linkpath=/x/y\n'));
    expect(m.get('path')?.toString()).to.equal('ab');
    expect(m.get('linkpath')?.toString()).to.equal('/x/y');
  });
});
