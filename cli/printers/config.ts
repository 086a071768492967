import type { ConfigMap, Secret } from '../../proto/objects/config.js';
import type { EnvVar } from '../../proto/objects/pod.js';
import type { EnvFromSource } from '../../proto/objects/volume.js';

/** How ConfigMaps and Secrets read in `berth get` and `berth describe`, as kubectl prints them. */

/** configDataCount is the DATA column: how many keys the object holds. */
export function configDataCount(o: ConfigMap | Secret): string {
  const binary = o.kind === 'ConfigMap' ? Object.keys(o.binaryData ?? {}).length : 0;
  return String(Object.keys(o.data ?? {}).length + binary);
}

/** describeConfigMapLines: each key and its text value, then each binary key and its size. */
export function describeConfigMapLines(cm: ConfigMap): string[] {
  const lines = ['', 'Data', '===='];
  for (const [key, value] of Object.entries(cm.data ?? {}).sort(([a], [b]) => a.localeCompare(b))) lines.push(`${key}:`, '----', value, '');
  lines.push('', 'BinaryData', '====');
  for (const [key, value] of Object.entries(cm.binaryData ?? {}).sort(([a], [b]) => a.localeCompare(b))) lines.push(`${key}: ${Buffer.from(value, 'base64').length} bytes`);
  lines.push('');
  return lines;
}

/** describeSecretLines: the type, then each key with its size in bytes; never a value. */
export function describeSecretLines(secret: Secret): string[] {
  const entries = Object.entries(secret.data ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(0, ...entries.map(([key]) => key.length + 1));
  const lines = ['', `Type:  ${secret.type ?? 'Opaque'}`, '', 'Data', '===='];
  for (const [key, value] of entries) lines.push(`${`${key}:`.padEnd(width)}  ${Buffer.from(value, 'base64').length} bytes`);
  lines.push('');
  return lines;
}

/** envValueText is how describe shows one env var of a container: a ConfigMap or Secret key by reference, never its value. */
export function envValueText(e: EnvVar): string {
  const cm = e.valueFrom?.configMapKeyRef;
  const secret = e.valueFrom?.secretKeyRef;
  if (cm) return `<set to the key '${cm.key}' of config map '${cm.name}'>`;
  if (secret) return `<set to the key '${secret.key}' in secret '${secret.name}'>`;
  // As kubectl: the downward API's source in parentheses, the value being known only in the pod.
  const field = e.valueFrom?.fieldRef;
  if (field) return ` (${field.apiVersion ?? 'v1'}:${field.fieldPath})`;
  const resource = e.valueFrom?.resourceFieldRef;
  if (resource) return ` (${resource.containerName ? `${resource.containerName}:` : ''}${resource.resource})`;
  return e.value ?? '';
}

/** envFromText is describe's `Environment Variables from` value: each source, its kind and whether it is optional. */
export function envFromText(sources: readonly EnvFromSource[]): string {
  return sources
    .map((s) => {
      const ref = s.configMapRef ?? s.secretRef;
      const kind = s.configMapRef ? 'ConfigMap' : 'Secret';
      return `${ref?.name ?? ''}  ${kind} with prefix '${s.prefix ?? ''}'  Optional: ${ref?.optional === true}`;
    })
    .join(', ');
}
