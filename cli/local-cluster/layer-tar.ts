/**
 * A small ustar writer for image layers built by `berth up` (busybox-image.ts): regular files,
 * directories and symlinks, with fixed owners and mtimes so the same input always gives the
 * same bytes (and so the same layer digest).
 */
import { gzipSync } from 'node:zlib';

/** LayerEntry is one file, directory or symlink of a layer built by `buildLayerTar`. */
export interface LayerEntry {
  name: string;
  type?: 'file' | 'dir' | 'symlink';
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
}

/** The mtime of every entry and of the image config (2024-01-01T00:00:00Z): builds are reproducible. */
export const FIXED_MTIME = 1704067200;

const TYPEFLAG = { file: '0', symlink: '2', dir: '5' } as const;

function octal(buf: Buffer, off: number, len: number, value: number): void {
  buf.write(value.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
}

function header(entry: LayerEntry, size: number): Buffer {
  const type = entry.type ?? 'file';
  if (Buffer.byteLength(entry.name) > 100 || Buffer.byteLength(entry.linkname ?? '') > 100) {
    throw new Error(`layer entry name too long for ustar: ${entry.name}`);
  }
  const b = Buffer.alloc(512);
  b.write(entry.name, 0, 100, 'utf8');
  octal(b, 100, 8, entry.mode ?? (type === 'dir' ? 0o755 : 0o644));
  octal(b, 108, 8, entry.uid ?? 0);
  octal(b, 116, 8, entry.gid ?? 0);
  octal(b, 124, 12, size);
  octal(b, 136, 12, FIXED_MTIME);
  b.write(TYPEFLAG[type], 156, 1, 'latin1');
  b.write(entry.linkname ?? '', 157, 100, 'utf8');
  b.write('ustar\0', 257, 6, 'latin1');
  b.write('00', 263, 2, 'latin1');
  octal(b, 329, 8, 0);
  octal(b, 337, 8, 0);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of b) sum += c;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

/** buildLayerTar builds an uncompressed tar of `entries`, in the order given. */
export function buildLayerTar(entries: readonly LayerEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = (entry.type ?? 'file') === 'file' ? Buffer.from(entry.content ?? '') : Buffer.alloc(0);
    parts.push(header(entry, data.length), data);
    const rest = data.length % 512;
    if (rest !== 0) parts.push(Buffer.alloc(512 - rest));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** gzipLayer compresses with fixed settings, so the same tar always gives the same blob. */
export function gzipLayer(tar: Buffer): Buffer {
  return gzipSync(tar, { level: 6 });
}
