import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'winston';
import type { Service } from '../../proto/objects/service.js';
import type { ServiceCache } from './service-cache.js';

/** What the snapshot file holds. */
interface SnapshotFile {
  podCIDR?: string;
  services: Service[];
}

/** How long after a change the snapshot is written (changes in between share the write). */
const WRITE_DELAY_MS = 1_000;

/**
 * ServiceSnapshot is used to keep what service discovery needs across an agent restart while the
 * control plane cannot be reached (static stability): the node's pod CIDR (where the DNS server
 * listens) and the last complete list of Services (their ClusterIPs, for DNS and for the
 * environment of containers restarted meanwhile), in `<root>/services.json`. EndpointSlices are
 * not kept: they change far more often, and the proxy's rules, which they feed, stay in the
 * kernel anyway.
 *
 * Lifecycle: load() once at start; follow() writes the Services again (at most once a second)
 * whenever they change after the cache has a complete listing; stop() ends that.
 */
export class ServiceSnapshot {
  private readonly path: string;
  private podCIDR: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private lastWritten = '';

  constructor(root: string, private readonly cache: ServiceCache, private readonly logger: Logger) {
    this.path = join(root, 'services.json');
  }

  /** load puts the saved Services into the (not yet synced) cache and returns the saved pod CIDR. */
  async load(): Promise<string | undefined> {
    let saved: SnapshotFile;
    try {
      saved = JSON.parse(await readFile(this.path, 'utf8')) as SnapshotFile;
    } catch {
      // None yet, or cut short by a crash before the rename: nothing to restore.
      return undefined;
    }
    for (const service of Array.isArray(saved.services) ? saved.services : []) {
      if (service?.kind === 'Service' && typeof service.metadata?.name === 'string') this.cache.upsert(service);
    }
    this.podCIDR = typeof saved.podCIDR === 'string' ? saved.podCIDR : undefined;
    return this.podCIDR;
  }

  /** follow writes the snapshot after changes, and now with the given pod CIDR. */
  follow(podCIDR: string): void {
    this.podCIDR = podCIDR;
    this.unsubscribe ??= this.cache.onChange(() => this.schedule());
    this.schedule();
  }

  stop(): void {
    this.unsubscribe?.();
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A partial listing must never replace a complete one.
      if (!this.cache.synced) return this.schedule();
      this.writing = this.writing
        .then(() => this.write())
        .catch((err: unknown) => void this.logger.warn('writing the services snapshot failed', { path: this.path, error: String(err) }));
    }, WRITE_DELAY_MS);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    const services = this.cache.keys().flatMap((k) => this.cache.get(k).service ?? []);
    const text = JSON.stringify({ ...(this.podCIDR ? { podCIDR: this.podCIDR } : {}), services } satisfies SnapshotFile);
    // Most changes are endpoints: the Services themselves did not change.
    if (text === this.lastWritten) return;
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, this.path);
    this.lastWritten = text;
  }
}
