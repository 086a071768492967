/**
 * A small tar writer for tests and test images: builds layer tars from a list of entries,
 * including the hostile ones (`../x`, symlinks out of the root) that real tools refuse to write.
 */
import { gzipSync } from 'node:zlib';

/** One entry of a tar built by `buildTar`. */
export interface TarSpec {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo';
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch; fixed by default so builds are reproducible. */
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extra pax records (for example `SCHILY.xattr.user.x`). */
  pax?: Record<string, string>;
}

const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', chardev: '3', blockdev: '4', dir: '5', fifo: '6' } as const;
/** The mtime test tars use unless told otherwise (2024-01-01T00:00:00Z). */
export const FIXED_MTIME = 1704067200;

function octal(buf: Buffer, off: number, len: number, value: number): void {
  buf.write(value.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
}

function header(name: string, flag: string, size: number, s: TarSpec, linkname: string): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  octal(b, 100, 8, s.mode ?? (flag === '5' ? 0o755 : 0o644));
  octal(b, 108, 8, s.uid ?? 0);
  octal(b, 116, 8, s.gid ?? 0);
  octal(b, 124, 12, size);
  octal(b, 136, 12, s.mtime ?? FIXED_MTIME);
  b.write(flag, 156, 1, 'latin1');
  b.write(linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 6, 'latin1');
  b.write('00', 263, 2, 'latin1');
  octal(b, 329, 8, s.devmajor ?? 0);
  octal(b, 337, 8, s.devminor ?? 0);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of b) sum += c;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

function pad(data: Buffer): Buffer[] {
  const rest = data.length % 512;
  return rest === 0 ? [data] : [data, Buffer.alloc(512 - rest)];
}

function paxRecords(records: Record<string, string>): Buffer {
  let out = '';
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
    out += `${len}${body}`;
  }
  return Buffer.from(out, 'utf8');
}

/** Builds an uncompressed tar. Names or link targets over 100 bytes use pax records. */
export function buildTar(entries: readonly TarSpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const s of entries) {
    const type = s.type ?? 'file';
    const data = type === 'file' ? Buffer.from(s.content ?? '') : Buffer.alloc(0);
    const pax: Record<string, string> = { ...s.pax };
    let name = s.name;
    let linkname = s.linkname ?? '';
    if (Buffer.byteLength(name) > 100) {
      pax['path'] = name;
      name = name.slice(0, 99);
    }
    if (Buffer.byteLength(linkname) > 100) {
      pax['linkpath'] = linkname;
      linkname = linkname.slice(0, 99);
    }
    if (Object.keys(pax).length > 0) {
      const records = paxRecords(pax);
      parts.push(header('PaxHeader', 'x', records.length, { name: 'PaxHeader' }, ''), ...pad(records));
    }
    parts.push(header(name, TYPEFLAG[type], data.length, s, linkname), ...pad(data));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** gzip with fixed settings, so the same tar always compresses to the same blob. */
export function gzipTar(tar: Buffer): Buffer {
  return gzipSync(tar, { level: 6 });
}
