/**
 * Manifest, index and config documents: their shapes, and parsing that checks what Berth
 * relies on so a malformed document fails here with a clear message, not later.
 */
import { parseDigest, type Digest } from './digest.js';
import { RegistryError } from './errors.js';
import { isConfigMediaType, layerCompression, manifestKind, MediaType, type ManifestKind } from './media-types.js';

/** Descriptor points at content by digest (OCI image spec, descriptor.md). */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  platform?: Platform;
  urls?: string[];
  annotations?: Record<string, string>;
}

/** Platform of an index entry (GOOS/GOARCH vocabulary). */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

/**
 * OciImageConfig is the image configuration JSON (OCI image spec, config.md). `config` holds
 * what a container runs with by default.
 */
export interface OciImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: {
    User?: string;
    ExposedPorts?: Record<string, object>;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Volumes?: Record<string, object>;
    WorkingDir?: string;
    Labels?: Record<string, string>;
    StopSignal?: string;
  };
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean }>;
}

/** A parsed manifest-endpoint document. */
export type ManifestDocument = { kind: 'manifest'; manifest: ImageManifest } | { kind: 'index'; index: ImageIndex };

function fail(what: string, reason: string): never {
  throw new RegistryError(`${what}: ${reason}`);
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    fail(what, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(what, 'not a JSON object');
  return v as Record<string, unknown>;
}

function parseDescriptor(v: unknown, what: string): Descriptor {
  if (typeof v !== 'object' || v === null) fail(what, 'descriptor is not an object');
  const o = v as Record<string, unknown>;
  if (typeof o['mediaType'] !== 'string') fail(what, 'descriptor without mediaType');
  const size = o['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) fail(what, 'descriptor size is not a non-negative integer');
  const d: Descriptor = { mediaType: o['mediaType'], digest: parseDigest(o['digest'], what), size };
  const p = o['platform'];
  if (typeof p === 'object' && p !== null) d.platform = p as Platform;
  return d;
}

/**
 * Parses a document from the manifests endpoint. The media type comes from the document's own
 * `mediaType`, else the Content-Type header, else its shape (as containerd does).
 */
export function parseManifestDocument(bytes: Uint8Array, contentType: string | undefined, what: string): ManifestDocument {
  const o = parseJson(bytes, what);
  const ct = contentType?.split(';')[0]?.trim();
  const declared = typeof o['mediaType'] === 'string' ? o['mediaType'] : ct;
  if (declared === MediaType.DockerManifestV1Signed || o['schemaVersion'] === 1) {
    fail(what, 'Docker schema 1 manifests are not supported; push the image again with a current client');
  }
  let kind: ManifestKind | undefined = declared !== undefined ? manifestKind(declared) : undefined;
  if (kind === undefined) {
    if (Array.isArray(o['manifests'])) kind = 'index';
    else if (Array.isArray(o['layers'])) kind = 'manifest';
    else fail(what, `unsupported media type ${declared ?? '(none)'}`);
  }
  if (o['schemaVersion'] !== 2) fail(what, 'schemaVersion is not 2');
  const mediaType = declared !== undefined && manifestKind(declared) !== undefined ? declared : kind === 'index' ? MediaType.OciIndex : MediaType.OciManifest;
  if (kind === 'index') {
    const list = o['manifests'];
    if (!Array.isArray(list)) fail(what, 'index without manifests');
    return { kind, index: { schemaVersion: 2, mediaType, manifests: list.map((m) => parseDescriptor(m, what)) } };
  }
  const layers = o['layers'];
  if (!Array.isArray(layers)) fail(what, 'manifest without layers');
  const config = parseDescriptor(o['config'], what);
  if (!isConfigMediaType(config.mediaType)) fail(what, `config has unsupported media type ${config.mediaType}`);
  const parsed = layers.map((l) => parseDescriptor(l, what));
  for (const l of parsed) {
    const c = layerCompression(l.mediaType);
    if (c === undefined) fail(what, `layer ${l.digest} has unsupported media type ${l.mediaType}`);
    if (c === 'zstd') fail(what, `layer ${l.digest} is zstd-compressed, which Berth does not support yet`);
  }
  return { kind, manifest: { schemaVersion: 2, mediaType, config, layers: parsed } };
}

/** Parses an image config and checks it has one diff_id per manifest layer. */
export function parseImageConfig(bytes: Uint8Array, layerCount: number, what: string): OciImageConfig {
  const o = parseJson(bytes, what);
  const rootfs = o['rootfs'] as Record<string, unknown> | undefined;
  const diffIds = rootfs?.['diff_ids'];
  if (!Array.isArray(diffIds)) fail(what, 'rootfs.diff_ids missing');
  const parsed = diffIds.map((d) => parseDigest(d, `${what} rootfs.diff_ids`));
  if (parsed.length !== layerCount) {
    fail(what, `rootfs.diff_ids has ${parsed.length} entries but the manifest has ${layerCount} layers`);
  }
  return { ...(o as unknown as OciImageConfig), rootfs: { type: 'layers', diff_ids: parsed } };
}
