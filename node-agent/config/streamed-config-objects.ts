import type { Logger } from 'winston';
import type { ConfigMap, Secret } from '../../proto/objects/config.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import { ListWatch } from '../watch/list-watch.js';
import type { ListWatchHandler, WatchStream } from '../watch/list-watch.js';
import type { ConfigKind, ConfigObjects, Lookup } from './config-objects.js';

/** ConfigEventType is what NodeAPI.WatchConfigObjects sends besides its BOOKMARK. */
export type ConfigEventType = 'ADDED' | 'MODIFIED' | 'ABSENT' | 'DELETED';
const CONFIG_EVENT_TYPES: readonly ConfigEventType[] = ['ADDED', 'MODIFIED', 'ABSENT', 'DELETED'];

type Known = { state: 'found'; object: ConfigMap | Secret } | { state: 'missing' };

function keyOf(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/**
 * StreamedConfigObjects is the agent's ConfigObjects: what NodeAPI.WatchConfigObjects sends,
 * kept in memory only (a Secret is never written to the node's disk by it). The stream carries
 * only objects that pods of this node refer to: found ones, and an explicit ABSENT for those
 * that do not exist; anything else is `unknown` (not heard of yet). A reconnection lists again:
 * until its BOOKMARK the previous answers stand (a pod keeps its view across a short outage),
 * then what the listing did not mention is forgotten.
 * Lifecycle: start() follows the stream until stop().
 */
export class StreamedConfigObjects implements ConfigObjects, ListWatchHandler<BerthObject, ConfigEventType> {
  private readonly known = new Map<string, Known>();
  private readonly listeners = new Set<(kind: ConfigKind, namespace: string, name: string) => void>();
  private readonly watch: ListWatch<BerthObject, ConfigEventType> | undefined;
  private listedKeys: Set<string> | undefined;

  /** Without `open` nothing is streamed: objects come from change() (tests, and an agent without a control plane). */
  constructor(private readonly logger: Logger, open?: () => WatchStream) {
    this.watch = open ? new ListWatch('config watch', open, this, logger, CONFIG_EVENT_TYPES) : undefined;
  }

  start(): void {
    this.watch?.start();
  }

  stop(): void {
    this.watch?.stop();
    this.listeners.clear();
  }

  configMap(namespace: string, name: string): Lookup<ConfigMap> {
    return this.lookup('ConfigMap', namespace, name) as Lookup<ConfigMap>;
  }

  secret(namespace: string, name: string): Lookup<Secret> {
    return this.lookup('Secret', namespace, name) as Lookup<Secret>;
  }

  onChange(listener: (kind: ConfigKind, namespace: string, name: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  relist(): void {
    this.listedKeys = new Set();
  }

  listed(): void {
    const listedKeys = this.listedKeys;
    this.listedKeys = undefined;
    if (!listedKeys) return;
    for (const key of [...this.known.keys()]) {
      if (listedKeys.has(key)) continue;
      this.known.delete(key);
      this.notifyKey(key);
    }
  }

  change(type: ConfigEventType, object: BerthObject): void {
    if (object.kind !== 'ConfigMap' && object.kind !== 'Secret') return void this.logger.warn('config watch sent an object of another kind; ignored', { kind: object.kind });
    const namespace = object.metadata.namespace ?? 'default';
    const key = keyOf(object.kind, namespace, object.metadata.name);
    this.listedKeys?.add(key);
    if (type === 'DELETED') this.known.delete(key);
    else if (type === 'ABSENT') this.known.set(key, { state: 'missing' });
    else this.known.set(key, { state: 'found', object: object as ConfigMap | Secret });
    this.notify(object.kind, namespace, object.metadata.name);
  }

  private lookup(kind: ConfigKind, namespace: string, name: string): Lookup<ConfigMap | Secret> {
    return this.known.get(keyOf(kind, namespace, name)) ?? { state: 'unknown' };
  }

  private notifyKey(key: string): void {
    const [kind, namespace, name] = key.split('/') as [ConfigKind, string, string];
    this.notify(kind, namespace, name);
  }

  private notify(kind: ConfigKind, namespace: string, name: string): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(kind, namespace, name);
      } catch (err) {
        this.logger.warn('config change listener failed', { kind, namespace, name, error: String(err) });
      }
    }
  }
}
