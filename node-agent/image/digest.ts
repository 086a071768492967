/** Content digests ("sha256:<64 hex>"), the names of everything in the content store. */
import { createHash, type Hash } from 'node:crypto';

import { ImageError } from './errors.js';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** A digest string Berth accepts; only sha256 is supported, as by every mainstream registry. */
export type Digest = `sha256:${string}`;

/** True when `s` is a well-formed sha256 digest. */
export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

/** Returns `s` as a Digest, or throws naming `what` carried it. */
export function parseDigest(s: unknown, what: string): Digest {
  if (typeof s !== 'string' || !isDigest(s)) {
    throw new ImageError(`${what}: unsupported or malformed digest ${JSON.stringify(s)} (expected sha256:<64 hex>)`);
  }
  return s;
}

/** The hex part of a digest, used as a file name. */
export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

export function sha256Digest(data: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function newHasher(): Hash {
  return createHash('sha256');
}

export function hasherDigest(h: Hash): Digest {
  return `sha256:${h.digest('hex')}`;
}

