/**
 * How much one layer may unpack to. A gzip stream of a few megabytes can inflate to terabytes
 * (a decompression bomb), and a tar of tiny entries can exhaust inodes; both are stopped while
 * the layer streams in, and the pull fails with LayerLimitError.
 */

/** LayerLimits is used to bound what unpacking one layer may produce. */
export interface LayerLimits {
  /** Uncompressed bytes of the layer's tar stream (headers and padding included). */
  maxBytes: number;
  /** Tar entries (files, directories, links, whiteouts…) in the layer. */
  maxEntries: number;
}

/** 20 GiB: above the largest layers of real images (CUDA, ML runtimes), below filling a node's disk by surprise. */
export const DEFAULT_LAYER_MAX_BYTES = 20 * 1024 * 1024 * 1024;
/** One million: a full distribution layer holds some tens of thousands of entries. */
export const DEFAULT_LAYER_MAX_ENTRIES = 1_000_000;

/** The defaults, for stores constructed without the agent's flags. */
export const DEFAULT_LAYER_LIMITS: LayerLimits = { maxBytes: DEFAULT_LAYER_MAX_BYTES, maxEntries: DEFAULT_LAYER_MAX_ENTRIES };

/** LayerLimitError is thrown (inside the unpack worker) when a layer goes past a LayerLimits bound. */
export class LayerLimitError extends Error {
  override name = 'LayerLimitError';
  constructor(what: 'bytes' | 'entries', limit: number) {
    const flag = what === 'bytes' ? '--layer-max-bytes' : '--layer-max-entries';
    const amount = what === 'bytes' ? `${limit} uncompressed bytes` : `${limit} entries`;
    super(`the layer unpacks to more than ${amount}, the most this node accepts (${flag}): a decompression bomb, or a layer too large for this node`);
  }
}
