/**
 * A streaming tar reader (POSIX ustar, pax extended headers, GNU long names, base-256
 * numbers). It reads from an AsyncIterator without ever closing it, so the caller can keep
 * consuming the stream after the end-of-archive marker (to hash a layer's trailing bytes).
 */

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'chardev' | 'blockdev' | 'directory' | 'fifo';

/** TarHeader is one entry's metadata with pax and GNU extensions applied. */
export interface TarHeader {
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeSec: number;
  mtimeNsec: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** From pax SCHILY.xattr.* records. */
  xattrs: Record<string, Buffer>;
}

/** TarEntry is a header plus its content; read `body` before asking for the next entry. */
export interface TarEntry {
  header: TarHeader;
  body: () => AsyncGenerator<Buffer>;
}

/** A malformed or unsupported archive. */
export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

const BLOCK = 512;

// Buffers input chunks without copying them; only a header spanning two chunks is joined.
class ByteReader {
  private queue: Buffer[] = [];
  private length = 0;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    const r = await this.it.next();
    if (r.done) return false;
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    this.queue.push(chunk);
    this.length += chunk.length;
    return true;
  }

  // Up to `max` bytes from the first buffered chunk.
  private take(max: number): Buffer {
    const head = this.queue[0] as Buffer;
    if (head.length <= max) {
      this.queue.shift();
      this.length -= head.length;
      return head;
    }
    this.queue[0] = head.subarray(max);
    this.length -= max;
    return head.subarray(0, max);
  }

  /** Exactly n bytes; undefined at a clean end of input; throws on a truncated read. */
  async exact(n: number): Promise<Buffer | undefined> {
    while (this.length < n) {
      if (!(await this.fill())) {
        if (this.length === 0) return undefined;
        throw new TarFormatError(`archive truncated: needed ${n} bytes, got ${this.length}`);
      }
    }
    const first = this.take(n);
    if (first.length === n) return first;
    const parts = [first];
    for (let got = first.length; got < n; ) {
      const p = this.take(n - got);
      parts.push(p);
      got += p.length;
    }
    return Buffer.concat(parts, n);
  }

  /** Up to n bytes as they arrive. */
  async *chunks(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.length === 0 && !(await this.fill())) throw new TarFormatError(`archive truncated: ${left} bytes of content missing`);
      const out = this.take(left);
      left -= out.length;
      yield out;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.chunks(n)) {
      // discard
    }
  }
}

function cstring(b: Buffer, off: number, len: number): string {
  const field = b.subarray(off, off + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

/** Parses a numeric field: octal text, or GNU base-256 when the high bit is set. */
export function parseNumeric(b: Buffer, off: number, len: number): number {
  const field = b.subarray(off, off + len);
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) throw new TarFormatError('negative base-256 number');
    let v = first & 0x7f;
    for (let i = 1; i < field.length; i++) v = v * 256 + (field[i] ?? 0);
    return v;
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/g, '').replace(/^[ ]+/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`invalid octal number "${text}"`);
  return parseInt(text, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = parseNumeric(h, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return stored === unsigned || stored === signed;
}

/** Parses pax records ("<len> <key>=<value>\n"). Values stay bytes (xattrs may be binary). */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = parseInt(data.subarray(pos, sp).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > data.length) throw new TarFormatError('malformed pax record');
    const rec = data.subarray(sp + 1, pos + len - 1); // drop trailing '\n'
    const eq = rec.indexOf(0x3d);
    if (eq < 0) throw new TarFormatError('pax record without "="');
    out.set(rec.subarray(0, eq).toString('utf8'), rec.subarray(eq + 1));
    pos += len;
  }
  return out;
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink',
  '3': 'chardev', '4': 'blockdev', '5': 'directory', '6': 'fifo',
};

function applyPax(h: TarHeader, pax: Map<string, Buffer>): void {
  for (const [k, v] of pax) {
    const s = v.toString('utf8');
    if (k === 'path') h.name = s;
    else if (k === 'linkpath') h.linkname = s;
    else if (k === 'size') h.size = Number(s);
    else if (k === 'uid') h.uid = Number(s);
    else if (k === 'gid') h.gid = Number(s);
    else if (k === 'mtime') {
      const [sec, frac = ''] = s.split('.');
      h.mtimeSec = Number(sec);
      h.mtimeNsec = Number(frac.padEnd(9, '0').slice(0, 9));
    } else if (k.startsWith('SCHILY.xattr.')) h.xattrs[k.slice('SCHILY.xattr.'.length)] = v;
  }
  if (!Number.isSafeInteger(h.size) || h.size < 0) throw new TarFormatError(`invalid pax size for ${h.name}`);
}

/** Reads entries from a tar stream. Entries whose body was not read are skipped. */
export async function* readTar(input: AsyncIterator<Uint8Array>): AsyncGenerator<TarEntry> {
  const r = new ByteReader(input);
  let pax: Map<string, Buffer> | undefined;
  let globalPax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const block = await r.exact(BLOCK);
    if (block === undefined) return; // no end-of-archive marker; accept, as GNU tar does
    if (block.every((b) => b === 0)) return;
    if (!checksumOk(block)) throw new TarFormatError('header checksum mismatch (not a tar archive, or corrupt)');
    const flag = String.fromCharCode(block[156] ?? 0);
    const size = parseNumeric(block, 124, 12);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > 16 * 1024 * 1024) throw new TarFormatError(`extended header of ${size} bytes is too large`);
      const data = size === 0 ? Buffer.alloc(0) : await r.exact(padded);
      if (data === undefined) throw new TarFormatError('archive truncated in an extended header');
      const body = data.subarray(0, size);
      if (flag === 'x') pax = parsePax(body);
      else if (flag === 'g') globalPax = new Map([...globalPax, ...parsePax(body)]);
      else if (flag === 'L') longName = cstring(body, 0, body.length);
      else longLink = cstring(body, 0, body.length);
      continue;
    }
    const type = TYPES[flag];
    if (type === undefined) throw new TarFormatError(`unsupported tar entry type '${flag}' for ${cstring(block, 0, 100)}`);
    const magic = block.subarray(257, 263).toString('latin1');
    const prefix = magic === 'ustar\0' ? cstring(block, 345, 155) : '';
    const name = cstring(block, 0, 100);
    const h: TarHeader = {
      name: prefix ? `${prefix}/${name}` : name,
      type,
      mode: parseNumeric(block, 100, 8) & 0o7777,
      uid: parseNumeric(block, 108, 8),
      gid: parseNumeric(block, 116, 8),
      size,
      mtimeSec: parseNumeric(block, 136, 12),
      mtimeNsec: 0,
      linkname: cstring(block, 157, 100),
      devmajor: parseNumeric(block, 329, 8),
      devminor: parseNumeric(block, 337, 8),
      xattrs: {},
    };
    if (longName !== undefined) h.name = longName;
    if (longLink !== undefined) h.linkname = longLink;
    applyPax(h, globalPax);
    if (pax) applyPax(h, pax);
    pax = undefined;
    longName = longLink = undefined;
    // Only regular files carry content: other types are header-only whatever their size
    // field says (as Go's archive/tar reads them).
    const contentSize = h.type === 'file' ? h.size : 0;
    const dataBlocks = Math.ceil(contentSize / BLOCK) * BLOCK;
    let consumed = 0;
    let done = false;
    const body = async function* (): AsyncGenerator<Buffer> {
      if (done) throw new TarFormatError(`body of ${h.name} already read`);
      done = true;
      for await (const c of r.chunks(contentSize)) {
        consumed += c.length;
        yield c;
      }
    };
    yield { header: h, body };
    await r.skip(dataBlocks - consumed);
  }
}
