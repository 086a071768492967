/**
 * The node's image store: pulls images from OCI distribution registries and keeps them
 * unpacked as overlayfs lower layers.
 */
import { ContentStore } from './content-store.js';
import { collectGarbage, type GcResult } from './gc.js';
import { ImageRecords, type ImageRecord } from './image-records.js';
import type { LayerLimits } from './layer-limits.js';
import { LayerStore } from './layer-store.js';
import { parseImageConfig, type OciImageConfig } from './manifest.js';
import { pullImage } from './puller.js';
import type { PullProgressListener } from './pull-progress.js';
import { formatReference, parseReference } from './reference.js';
import { RegistryClient } from './registry-client.js';
import type { RegistryCredentials } from './auth.js';
import { RwLock } from './rw-lock.js';

/** PulledImage is an image ready to run: its config and its unpacked layers. */
export interface PulledImage {
  /** The normalized reference (`docker.io/library/busybox:latest`). */
  reference: string;
  /**
   * The digest the reference resolved to (`name@digest` pulls exactly this image again):
   * the index digest for a multi-platform image, else the manifest digest.
   */
  digest: string;
  /** The parsed image config: `config.config.Entrypoint`, `Cmd`, `Env`, `WorkingDir`, `User`… */
  config: OciImageConfig;
  /** Unpacked layer directories, base layer FIRST (overlayfs lowerdir wants them reversed). */
  layerDirs: string[];
}

/** ImageStoreOptions are the agent's image settings. */
export interface ImageStoreOptions {
  /** State directory; created if missing (0700). */
  root: string;
  /** Registry host → mirror endpoints (`http://host:port` or `host:port`), tried in order before the registry itself. */
  mirrors?: Record<string, string[]>;
  /** Registry hosts (with port) spoken to over plain HTTP. */
  insecureRegistries?: string[];
  /** Ask only the mirrors of a registry that has some, never the registry itself. */
  mirrorsOnly?: boolean;
  /** Registry host → credentials; anonymous when absent. */
  credentials?: Record<string, RegistryCredentials>;
  /** How much one layer may unpack to; a layer past them fails its pull (defaults: layer-limits.ts). */
  layerLimits?: LayerLimits;
}

/** Options of one pull. */
export interface PullOptions {
  onProgress?: PullProgressListener;
}

/**
 * ImageStore is used by the node agent to have images on disk before it creates containers.
 *
 * Vocabulary:
 * - a *reference* names an image (`busybox`, `127.0.0.1:5000/app:v2`, `app@sha256:…`); the
 *   store keys images by the normalized reference string.
 * - a *blob* is content addressed by its digest: manifests, indexes, configs, compressed layers.
 * - a *layer* is a blob unpacked into a directory keyed by its diff_id (the digest of the
 *   uncompressed tar); one directory serves every image that contains that layer.
 * - an *image record* ties a reference to its manifest, config and layers. Records are the
 *   roots of garbage collection.
 *
 * Lifecycle:
 * 1. `pull(ref)` resolves the reference at the registry (mirrors first, then the registry;
 *    an index is narrowed to this node's platform), downloads only the blobs the store
 *    lacks, verifies every digest (manifest, config, compressed layer, diff_id), unpacks new
 *    layers and then writes the image record. A pull that fails leaves no record and no
 *    partial blob or layer; whatever verified content it stored is reused by the next pull.
 *    Pulling the same reference again re-resolves it (a tag may have moved).
 * 2. `get(ref)` returns the stored image without network access, or undefined.
 *    `list()` returns every stored image.
 * 3. `remove(ref)` deletes the image record only; removing an absent image is not an error.
 *    Its blobs and layers stay until:
 * 4. `gc()` deletes every blob and layer no record points at. It waits for running pulls and
 *    holds new ones until done. A layer directory in use by a container must stay reachable
 *    from some record: remove an image only when no container uses it.
 */
export class ImageStore {
  private readonly content: ContentStore;
  private readonly layers: LayerStore;
  private readonly records: ImageRecords;
  private readonly client: RegistryClient;
  private readonly lock = new RwLock();
  private ready: Promise<void> | undefined;

  constructor(opts: ImageStoreOptions) {
    this.content = new ContentStore(opts.root);
    this.layers = new LayerStore(opts.root, opts.layerLimits);
    this.records = new ImageRecords(opts.root);
    this.client = new RegistryClient({
      mirrors: opts.mirrors ?? {},
      insecureRegistries: opts.insecureRegistries ?? [],
      mirrorsOnly: opts.mirrorsOnly ?? false,
      credentials: opts.credentials ?? {},
    });
  }

  /** Pulls `ref` (see the lifecycle above) and returns it ready to run. */
  async pull(ref: string, opts: PullOptions = {}): Promise<PulledImage> {
    const parsed = parseReference(ref);
    await this.init();
    const onProgress = opts.onProgress ?? (() => {});
    const record = await this.lock.shared(async () => {
      const r = await pullImage({ client: this.client, content: this.content, layers: this.layers }, parsed, onProgress);
      await this.records.put(r);
      return r;
    });
    onProgress({ kind: 'done', reference: record.reference, digest: record.digest });
    const image = await this.toPulledImage(record);
    if (image === undefined) throw new Error(`image ${record.reference} vanished right after its pull`);
    return image;
  }

  /** The stored image for `ref`, or undefined; never contacts a registry. */
  async get(ref: string): Promise<PulledImage | undefined> {
    const name = formatReference(parseReference(ref));
    await this.init();
    const record = await this.records.get(name);
    return record === undefined ? undefined : this.toPulledImage(record);
  }

  /** Every stored image, sorted by reference. */
  async list(): Promise<PulledImage[]> {
    await this.init();
    const out: PulledImage[] = [];
    for (const r of await this.records.list()) {
      const image = await this.toPulledImage(r);
      if (image) out.push(image);
    }
    return out;
  }

  /** Forgets `ref`; its content is freed by the next gc(). */
  async remove(ref: string): Promise<void> {
    const name = formatReference(parseReference(ref));
    await this.init();
    await this.records.delete(name);
  }

  /** Removes blobs and layers no stored image uses. */
  async gc(): Promise<GcResult> {
    await this.init();
    return this.lock.exclusive(() => collectGarbage(this.records, this.content, this.layers));
  }

  private async init(): Promise<void> {
    this.ready ??= Promise.all([this.content.init(), this.layers.init(), this.records.init()]).then(() => undefined);
    return this.ready;
  }

  // A record whose content has gone missing (the state directory was edited by hand) is
  // reported as absent, so the caller pulls again.
  private async toPulledImage(r: ImageRecord): Promise<PulledImage | undefined> {
    for (const l of r.layers) if (!(await this.layers.has(l.diffId))) return undefined;
    let config: OciImageConfig;
    try {
      config = parseImageConfig(await this.content.read(r.configDigest), r.layers.length, `config of ${r.reference}`);
    } catch {
      return undefined;
    }
    return { reference: r.reference, digest: r.digest, config, layerDirs: r.layers.map((l) => this.layers.path(l.diffId)) };
  }
}
