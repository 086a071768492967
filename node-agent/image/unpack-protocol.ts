/** Messages between the layer store and its unpack workers (see layer-unpack-worker.ts). */
import type { DecodedLayer } from './layer-decode.js';
import type { LayerLimits } from './layer-limits.js';
import type { LayerCompression } from './media-types.js';

/** Starts unpacking one layer into `dir` (an existing, empty directory). */
export interface UnpackJobStart {
  type: 'start';
  job: number;
  compression: Exclude<LayerCompression, 'zstd'>;
  dir: string;
  what: string;
  limits: LayerLimits;
}

/** A message to an unpack worker. */
export type WorkerRequest =
  | UnpackJobStart
  | { type: 'chunk'; job: number; data: Uint8Array }
  | { type: 'end'; job: number }
  | { type: 'abort'; job: number; message: string };

/** Why a job failed; `unpack` is set when it was a LayerUnpackError. */
export interface JobFailure {
  message: string;
  unpack?: { layer: string; entry: string; reason: string };
}

/** A message from an unpack worker. */
export type WorkerReply =
  | { type: 'ack'; job: number; bytes: number }
  | { type: 'done'; job: number; decoded: DecodedLayer }
  | { type: 'failed'; job: number; error: JobFailure };
