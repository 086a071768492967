/**
 * What the files of a configMap, secret, downwardAPI or projected volume hold, as the kubelet
 * computes them: keys (or `items`) as file names, `mode` over `defaultMode` (0644), `optional`
 * for a missing object, the downward API's values. Pure apart from the ConfigObjects lookups.
 */
import type { ConfigMap, Secret } from '../../proto/objects/config.js';
import type { Pod } from '../../proto/objects/pod.js';
import type { DownwardAPIVolumeFile, KeyToPath, Volume } from '../../proto/objects/volume.js';
import { fieldValue, resourceValue, type PodFacts } from '../agent/downward-env.js';
import { ContainerConfigError } from '../config/config-error.js';
import type { ConfigObjects, Lookup } from '../config/config-objects.js';
import type { FileContent } from './atomic-writer.js';
import { safeRelativePath } from './safe-path.js';

/** Kubernetes' default mode of a volume's files (0644). */
export const DEFAULT_FILE_MODE = 0o644;

/** Files is used for a volume's content: relative path -> bytes and mode. */
export type Files = Map<string, FileContent>;

/** ProjectionContext is used for what computing a volume's files needs besides the volume. */
export interface ProjectionContext {
  pod: Pod;
  config: ConfigObjects;
  facts: PodFacts;
}

/** volumeFiles computes the files of a configMap, secret, downwardAPI or projected volume. */
export function volumeFiles(volume: Volume, ctx: ProjectionContext): Files {
  const files: Files = new Map();
  if (volume.configMap) {
    const { name, items, optional } = volume.configMap;
    addConfigMap(files, ctx, name, items, optional, volume.configMap.defaultMode ?? DEFAULT_FILE_MODE);
  } else if (volume.secret) {
    const { secretName, items, optional } = volume.secret;
    addSecret(files, ctx, secretName, items, optional, volume.secret.defaultMode ?? DEFAULT_FILE_MODE);
  } else if (volume.downwardAPI) {
    addDownward(files, ctx, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode ?? DEFAULT_FILE_MODE);
  } else if (volume.projected) {
    const mode = volume.projected.defaultMode ?? DEFAULT_FILE_MODE;
    for (const source of volume.projected.sources ?? []) {
      if (source.configMap) addConfigMap(files, ctx, source.configMap.name, source.configMap.items, source.configMap.optional, mode);
      if (source.secret) addSecret(files, ctx, source.secret.name, source.secret.items, source.secret.optional, mode);
      if (source.downwardAPI) addDownward(files, ctx, source.downwardAPI.items ?? [], mode);
    }
  }
  return files;
}

/** The names of the ConfigMaps and Secrets a pod's volumes refer to, to hear of their changes. */
export function referencedObjects(volumes: readonly Volume[]): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const v of volumes) {
    if (v.configMap) configMaps.add(v.configMap.name);
    if (v.secret) secrets.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap) configMaps.add(s.configMap.name);
      if (s.secret) secrets.add(s.secret.name);
    }
  }
  return { configMaps, secrets };
}

function addConfigMap(files: Files, ctx: ProjectionContext, name: string, items: KeyToPath[] | undefined, optional: boolean | undefined, mode: number): void {
  const namespace = ctx.pod.metadata.namespace ?? 'default';
  const cm = found(ctx.config.configMap(namespace, name), 'configmap', name, optional, { kind: 'ConfigMap', namespace, name });
  if (!cm) return;
  const values = new Map<string, Buffer>();
  for (const [k, v] of Object.entries((cm as ConfigMap).data ?? {})) values.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries((cm as ConfigMap).binaryData ?? {})) values.set(k, Buffer.from(v, 'base64'));
  addKeys(files, values, items, optional, mode, 'configmap');
}

function addSecret(files: Files, ctx: ProjectionContext, name: string, items: KeyToPath[] | undefined, optional: boolean | undefined, mode: number): void {
  const namespace = ctx.pod.metadata.namespace ?? 'default';
  const secret = found(ctx.config.secret(namespace, name), 'secret', name, optional, { kind: 'Secret', namespace, name });
  if (!secret) return;
  const values = new Map<string, Buffer>();
  for (const [k, v] of Object.entries((secret as Secret).data ?? {})) values.set(k, Buffer.from(v, 'base64'));
  addKeys(files, values, items, optional, mode, 'secret');
}

/** found is the object, undefined for a missing optional one; throws ContainerConfigError otherwise. */
function found<T>(lookup: Lookup<T>, what: 'configmap' | 'secret', name: string, optional: boolean | undefined, ref: NonNullable<ContainerConfigError['ref']>): T | undefined {
  if (lookup.state === 'found') return lookup.object;
  if (lookup.state === 'missing') {
    if (optional) return undefined;
    throw new ContainerConfigError(`${what} "${name}" not found`, ref);
  }
  // Not yet synced from the control plane: calling it missing could wrongly start an optional one empty.
  throw new ContainerConfigError(`failed to sync ${what} cache: timed out waiting for the condition`, ref);
}

function addKeys(files: Files, values: Map<string, Buffer>, items: KeyToPath[] | undefined, optional: boolean | undefined, mode: number, what: 'configmap' | 'secret'): void {
  if (!items || items.length === 0) {
    for (const [key, data] of values) files.set(safeRelativePath(key, 'key'), { data, mode });
    return;
  }
  for (const item of items) {
    const data = values.get(item.key);
    if (data === undefined) {
      if (optional) continue;
      throw new ContainerConfigError(`${what === 'configmap' ? 'configmap' : 'secret'} references non-existent ${what === 'configmap' ? 'config' : 'secret'} key: ${item.key}`);
    }
    files.set(safeRelativePath(item.path, 'items[].path'), { data, mode: item.mode ?? mode });
  }
}

function addDownward(files: Files, ctx: ProjectionContext, items: DownwardAPIVolumeFile[], mode: number): void {
  for (const item of items) {
    files.set(safeRelativePath(item.path, 'items[].path'), { data: Buffer.from(downwardValue(item, ctx), 'utf8'), mode: item.mode ?? mode });
  }
}

function downwardValue(item: DownwardAPIVolumeFile, { pod, facts }: ProjectionContext): string {
  if (item.fieldRef) {
    const path = item.fieldRef.fieldPath;
    if (path === 'metadata.labels') return formatMap(pod.metadata.labels);
    if (path === 'metadata.annotations') return formatMap(pod.metadata.annotations);
    return fieldValue(pod, path, facts);
  }
  if (item.resourceFieldRef) {
    const named = item.resourceFieldRef.containerName;
    const container = pod.spec.containers.find((c) => c.name === named) ?? pod.spec.containers[0];
    return container ? resourceValue(container, item.resourceFieldRef, facts.allocatable) : '';
  }
  return '';
}

/** Kubernetes' format of a whole labels or annotations map: `key="value"` lines, sorted by key. */
export function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map?.[k] ?? '')}`)
    .join('\n');
}
