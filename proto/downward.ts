/**
 * The downward API as environment variables: which pod fields and container resources a
 * variable's `valueFrom` may name. Shared by validation (what is accepted) and the agent
 * (what it resolves), so the two cannot disagree.
 */

/** The plain pod fields an env var's `fieldRef.fieldPath` may name, in Kubernetes' order. */
export const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
] as const;

/** EnvFieldPath is one of ENV_FIELD_PATHS. */
export type EnvFieldPath = (typeof ENV_FIELD_PATHS)[number];

/** FieldPathRef is a parsed `fieldPath`: a plain field, or one label or annotation by key. */
export type FieldPathRef = { kind: 'field'; path: EnvFieldPath } | { kind: 'labels' | 'annotations'; key: string };

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** parseFieldPath reads a `fieldPath`; undefined for one an env var may not name. */
export function parseFieldPath(fieldPath: string): FieldPathRef | undefined {
  const plain = ENV_FIELD_PATHS.find((p) => p === fieldPath);
  if (plain) return { kind: 'field', path: plain };
  const m = SUBSCRIPT.exec(fieldPath);
  if (!m) return undefined;
  return { kind: m[1] === 'labels' ? 'labels' : 'annotations', key: m[2] ?? '' };
}

/** The supported values an error lists: the plain fields and the two subscript forms. */
export const ENV_FIELD_PATHS_SUPPORTED: readonly string[] = [...ENV_FIELD_PATHS, "metadata.labels['<KEY>']", "metadata.annotations['<KEY>']"];

/** The container resources a `resourceFieldRef.resource` may name. */
export const RESOURCE_FIELDS = ['limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory'] as const;

/** ResourceField is one of RESOURCE_FIELDS. */
export type ResourceField = (typeof RESOURCE_FIELDS)[number];

/** The divisors Kubernetes accepts, by resource. */
export const DIVISORS: Record<'cpu' | 'memory', readonly string[]> = {
  cpu: ['1m', '1'],
  memory: ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'],
};

/** resourceOf is `cpu` or `memory` for a supported resource field, else undefined. */
export function resourceOf(resource: string): 'cpu' | 'memory' | undefined {
  const known = RESOURCE_FIELDS.find((r) => r === resource);
  return known ? (known.endsWith('.cpu') ? 'cpu' : 'memory') : undefined;
}
