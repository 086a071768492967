import type { ConfigKind, ConfigObjects, Lookup } from '../config/config-objects.js';
import type { ConfigMap, Secret } from '../../proto/objects/config.js';

/**
 * UnsyncedConfigObjects is used as the agent's ConfigObjects while no feed of ConfigMaps and
 * Secrets from the control plane is connected: every object is `unknown`, so a pod whose volumes
 * need one waits (CreateContainerConfigError, as a kubelet whose cache never synced) rather than
 * starting with a volume wrongly empty. The control plane's feed replaces it.
 */
export class UnsyncedConfigObjects implements ConfigObjects {
  configMap(): Lookup<ConfigMap> {
    return { state: 'unknown' };
  }

  secret(): Lookup<Secret> {
    return { state: 'unknown' };
  }

  onChange(_listener: (kind: ConfigKind, namespace: string, name: string) => void): () => void {
    return () => undefined;
  }
}
