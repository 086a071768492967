/**
 * The agent's view of the ConfigMaps and Secrets its pods refer to (env valueFrom / envFrom,
 * configMap / secret / projected volumes). The control plane streams them to the node; the
 * implementation keeps them in memory only (a Secret never touches the node's disk here).
 */
import type { ConfigMap, Secret } from '../../proto/objects/config.js';

/** ConfigKind is used to name which of the two kinds a reference is to. */
export type ConfigKind = 'ConfigMap' | 'Secret';

/**
 * Lookup is used for the answer of ConfigObjects.get:
 * - `found`: the object as last streamed (a Secret's `data` values are base64, as served);
 * - `missing`: the control plane has listed the namespace's objects and this one does not exist;
 * - `unknown`: nothing is known yet (not synced, e.g. the control plane is unreachable since the
 *   agent started): a caller waits and asks again, rather than calling the object missing.
 */
export type Lookup<T> = { state: 'found'; object: T } | { state: 'missing' } | { state: 'unknown' };

/**
 * ConfigObjects is used by pod workers to read the ConfigMaps and Secrets of their pods, and to
 * hear when one changes (mounted files follow within seconds; a waiting pod starts once the
 * object it needs exists).
 */
export interface ConfigObjects {
  configMap(namespace: string, name: string): Lookup<ConfigMap>;
  secret(namespace: string, name: string): Lookup<Secret>;
  /**
   * onChange calls `listener` after an object of `namespace` was added, changed or deleted
   * (and after a (re)sync), never inside onChange. Returns the function that stops the calls.
   */
  onChange(listener: (kind: ConfigKind, namespace: string, name: string) => void): () => void;
}
