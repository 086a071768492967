/** Events a pull reports while it runs, for progress display and logs. */
import type { Digest } from './digest.js';

export type PullProgress =
  /** The reference resolved to a manifest (and, for an index, the platform's manifest). */
  | { kind: 'resolved'; reference: string; digest: Digest; manifestDigest: Digest }
  /** A layer already unpacked in the store: nothing to download. */
  | { kind: 'layer-present'; digest: Digest; diffId: Digest }
  | { kind: 'download-start'; digest: Digest; size: number }
  | { kind: 'download-progress'; digest: Digest; downloaded: number; size: number }
  | { kind: 'download-done'; digest: Digest; size: number }
  /** A layer unpacked; `skipped` lists entries deliberately not created (device nodes…). */
  | { kind: 'unpacked'; diffId: Digest; entries: number; skipped: Array<{ name: string; reason: string }> }
  | { kind: 'done'; reference: string; digest: Digest };

export type PullProgressListener = (e: PullProgress) => void;
