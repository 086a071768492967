import type { ConfigMap, Secret } from '../../proto/objects/config.js';
import type { Container, Pod } from '../../proto/objects/pod.js';
import type { KeySelector } from '../../proto/objects/volume.js';
import { envVarName } from '../../proto/validation/names.js';
import { ContainerConfigError } from './config-error.js';
import type { ConfigObjects, Lookup } from './config-objects.js';

/**
 * A container's variables taken from ConfigMaps and Secrets, as the kubelet makes them:
 * `env[].valueFrom.configMapKeyRef` / `secretKeyRef` and `envFrom` (with `prefix`). A
 * reference that cannot be resolved throws ContainerConfigError, in Kubernetes' words, unless
 * it is `optional`; then the variable (or the whole source) is left out. Only `data` counts (a
 * ConfigMap's binaryData never becomes a variable); a Secret's values are decoded from base64.
 * Messages name objects and keys, never a value.
 */

/** SkippedKeys is an envFrom source some of whose keys are not valid variable names (Kubernetes' InvalidEnvironmentVariableNames event). */
export interface SkippedKeys {
  kind: 'configMap' | 'secret';
  namespace: string;
  name: string;
  keys: string[];
}

type Kind = 'ConfigMap' | 'Secret';

function lookupOf(configs: ConfigObjects, kind: Kind, namespace: string, name: string): Lookup<ConfigMap | Secret> {
  return kind === 'ConfigMap' ? configs.configMap(namespace, name) : configs.secret(namespace, name);
}

/** dataOf is an object's variables-to-be: a ConfigMap's data, a Secret's data decoded. */
function dataOf(object: ConfigMap | Secret): Record<string, string> {
  if (object.kind === 'ConfigMap') return object.data ?? {};
  return Object.fromEntries(Object.entries(object.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/**
 * found reads an object; undefined when it is missing and optional. Missing and required, or
 * not known yet (the control plane has not sent it), is a ContainerConfigError.
 */
function found(configs: ConfigObjects, kind: Kind, namespace: string, name: string, optional: boolean): ConfigMap | Secret | undefined {
  const lookup = lookupOf(configs, kind, namespace, name);
  const ref = { kind, namespace, name };
  if (lookup.state === 'found') return lookup.object;
  if (lookup.state === 'unknown') throw new ContainerConfigError(`failed to sync ${kind.toLowerCase()} cache: ${kind} ${namespace}/${name} not received from the control plane yet`, ref);
  if (optional) return undefined;
  throw new ContainerConfigError(`${kind.toLowerCase()} "${name}" not found`, ref);
}

/** keyRefValue is the value of one configMapKeyRef / secretKeyRef; undefined when it is optional and absent (the variable is left out). */
export function keyRefValue(configs: ConfigObjects, kind: Kind, namespace: string, selector: KeySelector): string | undefined {
  const optional = selector.optional === true;
  const object = found(configs, kind, namespace, selector.name, optional);
  if (!object) return undefined;
  const data = dataOf(object);
  if (Object.hasOwn(data, selector.key)) return data[selector.key];
  if (optional) return undefined;
  throw new ContainerConfigError(`couldn't find key ${selector.key} in ${kind} ${namespace}/${selector.name}`, { kind, namespace, name: selector.name });
}

/**
 * envFromVariables resolves a container's envFrom sources in order (a later source's key wins),
 * each key prefixed; keys that are not valid variable names are skipped and reported.
 */
export function envFromVariables(pod: Pod, container: Container, configs: ConfigObjects): { variables: { name: string; resolved: string }[]; skipped: SkippedKeys[] } {
  const namespace = pod.metadata.namespace ?? 'default';
  const variables: { name: string; resolved: string }[] = [];
  const skipped: SkippedKeys[] = [];
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    if (!ref) continue;
    const kind: Kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const object = found(configs, kind, namespace, ref.name, ref.optional === true);
    if (!object) continue;
    const invalid: string[] = [];
    for (const [key, value] of Object.entries(dataOf(object)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const name = `${source.prefix ?? ''}${key}`;
      if (envVarName(name)) invalid.push(name);
      else variables.push({ name, resolved: value });
    }
    if (invalid.length > 0) skipped.push({ kind: kind === 'ConfigMap' ? 'configMap' : 'secret', namespace, name: ref.name, keys: invalid });
  }
  return { variables, skipped };
}

/** skippedKeysMessage is the kubelet's InvalidEnvironmentVariableNames message. */
export function skippedKeysMessage(s: SkippedKeys): string {
  return `Keys [${s.keys.join(', ')}] from the EnvFrom ${s.kind} ${s.namespace}/${s.name} were skipped since they are considered invalid environment variable names.`;
}
