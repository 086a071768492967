/** Public surface of node-agent/image: the ImageStore and what its callers need. */
export { ImageStore, type ImageStoreOptions, type PulledImage, type PullOptions } from './image-store.js';
export type { OciImageConfig, Platform, Descriptor } from './manifest.js';
export type { PullProgress, PullProgressListener } from './pull-progress.js';
export type { GcResult } from './gc.js';
export { DEFAULT_LAYER_MAX_BYTES, DEFAULT_LAYER_MAX_ENTRIES, type LayerLimits } from './layer-limits.js';
export type { RegistryCredentials } from './auth.js';
export { parseReference, normalizeReference, formatReference, type ImageReference } from './reference.js';
export {
  ImageError,
  InvalidReferenceError,
  ImageNotFoundError,
  DigestMismatchError,
  RegistryUnreachableError,
  UnauthorizedError,
  RegistryError,
  NoMatchingPlatformError,
  LayerUnpackError,
} from './errors.js';
