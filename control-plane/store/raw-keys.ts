import type { Etcd3 } from 'etcd3';
import { asStoreError } from './store-errors.js';

/** KeyWatch is a watch on one key; `changed` resolves at its first change (or a disconnect). */
export interface KeyWatch {
  changed: Promise<void>;
  cancel(): Promise<void>;
}

/**
 * RawKeys reads the few etcd keys that are not objects: the leader key under /berth/leader/ and
 * the claims (pod CIDRs, service IPs, node ports) under /berth-internal/. They are written with guarded changes like objects
 * (ObjectStore.transact); this is how they are read and watched.
 */
export class RawKeys {
  constructor(private readonly client: Etcd3) {}

  /** readValue is the key's value as text, or undefined when it does not exist. */
  async readValue(key: string): Promise<string | undefined> {
    try {
      return (await this.client.get(key).string()) ?? undefined;
    } catch (err) {
      throw asStoreError(err);
    }
  }

  /** listValues reads every key under a prefix with its value as text (claims and their owners). */
  async listValues(prefix: string): Promise<Map<string, string>> {
    try {
      return new Map(Object.entries(await this.client.getAll().prefix(prefix).strings()));
    } catch (err) {
      throw asStoreError(err);
    }
  }

  /** listKeys lists the keys under a prefix. */
  async listKeys(prefix: string): Promise<string[]> {
    try {
      return await this.client.getAll().prefix(prefix).keys();
    } catch (err) {
      throw asStoreError(err);
    }
  }

  /**
   * watchKey resolves once a watch on the key is in place; its `changed` resolves at the key's
   * next put or delete, or when the watch is cut (the caller then looks again).
   */
  async watchKey(key: string): Promise<KeyWatch> {
    let watcher;
    try {
      watcher = await this.client.watch().key(key).create();
    } catch (err) {
      throw asStoreError(err);
    }
    const w = watcher;
    const changed = new Promise<void>((resolve) => {
      w.on('put', () => resolve());
      w.on('delete', () => resolve());
      w.on('disconnected', () => resolve());
      w.on('error', () => resolve());
    });
    return { changed, cancel: () => w.cancel().catch(() => undefined) };
  }
}
