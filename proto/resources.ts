/**
 * The resources Berth serves, and how their names map to etcd keys and CLI words.
 * Storage layout (docs/architecture.md section 2): one key per object, `/berth/<resource>/<namespace>/<name>`,
 * cluster-scoped resources without the namespace segment.
 */

/** ResourceInfo describes one kind: its API group, names, and whether it lives in a namespace. */
export interface ResourceInfo {
  kind: string;
  apiVersion: string;
  /** API group, '' for the core group. */
  group: string;
  /** Plural lower-case name: the etcd key segment and what `berth get` prints. */
  resource: string;
  singular: string;
  shortNames: readonly string[];
  namespaced: boolean;
}

/**
 * RESOURCE is the table of every resource Berth serves, keyed by its plural name, for code that
 * names a resource it knows (`RESOURCE.pods`). A name that arrives in a request goes through
 * resourceByName, which may find nothing.
 */
export const RESOURCE = {
  namespaces: { kind: 'Namespace', apiVersion: 'v1', group: '', resource: 'namespaces', singular: 'namespace', shortNames: ['ns'], namespaced: false },
  nodes: { kind: 'Node', apiVersion: 'v1', group: '', resource: 'nodes', singular: 'node', shortNames: ['no'], namespaced: false },
  pods: { kind: 'Pod', apiVersion: 'v1', group: '', resource: 'pods', singular: 'pod', shortNames: ['po'], namespaced: true },
  services: { kind: 'Service', apiVersion: 'v1', group: '', resource: 'services', singular: 'service', shortNames: ['svc'], namespaced: true },
  endpoints: { kind: 'Endpoints', apiVersion: 'v1', group: '', resource: 'endpoints', singular: 'endpoints', shortNames: ['ep'], namespaced: true },
  endpointslices: { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', group: 'discovery.k8s.io', resource: 'endpointslices', singular: 'endpointslice', shortNames: [], namespaced: true },
  configmaps: { kind: 'ConfigMap', apiVersion: 'v1', group: '', resource: 'configmaps', singular: 'configmap', shortNames: ['cm'], namespaced: true },
  secrets: { kind: 'Secret', apiVersion: 'v1', group: '', resource: 'secrets', singular: 'secret', shortNames: [], namespaced: true },
  events: { kind: 'Event', apiVersion: 'v1', group: '', resource: 'events', singular: 'event', shortNames: ['ev'], namespaced: true },
  deployments: { kind: 'Deployment', apiVersion: 'apps/v1', group: 'apps', resource: 'deployments', singular: 'deployment', shortNames: ['deploy'], namespaced: true },
  replicasets: { kind: 'ReplicaSet', apiVersion: 'apps/v1', group: 'apps', resource: 'replicasets', singular: 'replicaset', shortNames: ['rs'], namespaced: true },
  // A node's heartbeat, renewed by its agent about every second (cluster-scoped here).
  leases: { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', group: 'coordination.k8s.io', resource: 'leases', singular: 'lease', shortNames: [], namespaced: false },
} as const satisfies Record<string, ResourceInfo>;

/** ResourceName is the plural name of a resource Berth serves. */
export type ResourceName = keyof typeof RESOURCE;

/** RESOURCES lists every resource, in the table's order. */
export const RESOURCES: readonly ResourceInfo[] = Object.values(RESOURCE);

export const DEFAULT_NAMESPACE = 'default';
export const KEY_ROOT = '/berth/';

/** resourceForKind finds the resource of a manifest's apiVersion and kind. */
export function resourceForKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.kind === kind && r.apiVersion === apiVersion);
}

/** kindIsKnown tells whether any apiVersion serves this kind (for a better error message). */
export function apiVersionsOfKind(kind: string): string[] {
  return RESOURCES.filter((r) => r.kind === kind).map((r) => r.apiVersion);
}

/**
 * resolveResource accepts what a user types after `berth get`: plural, singular, short name,
 * kind, or group-qualified plural (`deployments.apps`), case-insensitive.
 */
export function resolveResource(word: string): ResourceInfo | undefined {
  const w = word.toLowerCase();
  return RESOURCES.find(
    (r) =>
      r.resource === w ||
      r.singular === w ||
      r.kind.toLowerCase() === w ||
      r.shortNames.includes(w) ||
      (r.group !== '' && (w === `${r.resource}.${r.group}` || w === `${r.singular}.${r.group}`)),
  );
}

/** resourceByName finds a resource by its plural name, as carried in API requests. */
export function resourceByName(resource: string): ResourceInfo | undefined {
  return Object.hasOwn(RESOURCE, resource) ? RESOURCE[resource as ResourceName] : undefined;
}

/** qualifiedKind is how kubectl names a kind in messages: `deployment.apps`, `service`. */
export function qualifiedKind(info: ResourceInfo): string {
  return info.group === '' ? info.singular : `${info.singular}.${info.group}`;
}

/** qualifiedResource is the plural form for messages: `deployments.apps`, `services`. */
export function qualifiedResource(info: ResourceInfo): string {
  return info.group === '' ? info.resource : `${info.resource}.${info.group}`;
}

/** objectKey is the etcd key of one object. */
export function objectKey(info: ResourceInfo, namespace: string | undefined, name: string): string {
  return info.namespaced ? `${KEY_ROOT}${info.resource}/${namespace ?? DEFAULT_NAMESPACE}/${name}` : `${KEY_ROOT}${info.resource}/${name}`;
}

/** listPrefix is the etcd key prefix of a resource, within one namespace or across all. */
export function listPrefix(info: ResourceInfo, namespace?: string): string {
  return info.namespaced && namespace ? `${KEY_ROOT}${info.resource}/${namespace}/` : `${KEY_ROOT}${info.resource}/`;
}
