import type { ConfigMap, Secret } from '../../proto/objects/config.js';
import type { ConfigKind, ConfigObjects, Lookup } from '../../node-agent/config/config-objects.js';

/**
 * ConfigObjectsDouble is a test double of the agent's ConfigObjects: the test sets, changes and
 * deletes ConfigMaps and Secrets by hand, and listeners hear of it as from the real feed
 * (asynchronously, never inside the call). Objects not set are `missing`, or `unknown` for a
 * namespace marked unsynced.
 */
export class ConfigObjectsDouble implements ConfigObjects {
  private readonly configMaps = new Map<string, ConfigMap>();
  private readonly secrets = new Map<string, Secret>();
  private readonly listeners = new Set<(kind: ConfigKind, namespace: string, name: string) => void>();
  readonly unsynced = new Set<string>();

  configMap(namespace: string, name: string): Lookup<ConfigMap> {
    return this.lookup(this.configMaps, namespace, name);
  }

  secret(namespace: string, name: string): Lookup<Secret> {
    return this.lookup(this.secrets, namespace, name);
  }

  onChange(listener: (kind: ConfigKind, namespace: string, name: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setConfigMap(namespace: string, name: string, data: Record<string, string>, binaryData?: Record<string, string>): void {
    this.configMaps.set(`${namespace}/${name}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data, ...(binaryData ? { binaryData } : {}) });
    this.changed('ConfigMap', namespace, name);
  }

  /** Values are plain text here; stored base64, as served. */
  setSecret(namespace: string, name: string, plain: Record<string, string>): void {
    const data = Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    this.secrets.set(`${namespace}/${name}`, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, data });
    this.changed('Secret', namespace, name);
  }

  deleteConfigMap(namespace: string, name: string): void {
    this.configMaps.delete(`${namespace}/${name}`);
    this.changed('ConfigMap', namespace, name);
  }

  private lookup<T>(map: Map<string, T>, namespace: string, name: string): Lookup<T> {
    if (this.unsynced.has(namespace)) return { state: 'unknown' };
    const object = map.get(`${namespace}/${name}`);
    return object ? { state: 'found', object } : { state: 'missing' };
  }

  private changed(kind: ConfigKind, namespace: string, name: string): void {
    setImmediate(() => {
      for (const l of this.listeners) l(kind, namespace, name);
    });
  }
}
