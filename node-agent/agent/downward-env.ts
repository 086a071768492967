import { parseFieldPath, resourceOf } from '../../proto/downward.js';
import type { Container, EnvVar, Pod, ResourceFieldSelector } from '../../proto/objects/pod.js';
import { parseQuantity } from '../../proto/quantity.js';
import { keyRefValue } from '../config/config-env.js';
import type { ConfigObjects } from '../config/config-objects.js';
import type { SpecVariable } from './env-expansion.js';

/** PodFacts is what the node knows about a pod beyond its object: where it runs and its address. */
export interface PodFacts {
  hostIP: string;
  podIP: string | undefined;
  /** The node's allocatable cpu and memory (quantities): what an unset limit stands for. */
  allocatable: { cpu: string; memory: string };
}

/**
 * fieldValue is a pod field as the downward API gives it to an env var; '' for a field that is
 * unset (a missing label, no pod IP). The plural IP fields hold the one address Berth gives.
 */
export function fieldValue(pod: Pod, fieldPath: string, facts: PodFacts): string {
  const ref = parseFieldPath(fieldPath);
  if (!ref) return '';
  if (ref.kind !== 'field') return pod.metadata[ref.kind]?.[ref.key] ?? '';
  switch (ref.path) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace ?? 'default';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      // Kubernetes' admission gives every pod the namespace's "default" account when it names none.
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.hostIP':
    case 'status.hostIPs':
      return facts.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return facts.podIP ?? '';
  }
}

/**
 * resourceValue is a container's request or limit in units of the divisor, rounded up as
 * Kubernetes does (cpu in millicores first). An unset limit is the node's allocatable; an unset
 * request is the limit when one is set (Kubernetes' defaulting), else 0.
 */
export function resourceValue(container: Container, ref: ResourceFieldSelector, allocatable: PodFacts['allocatable']): string {
  const resource = resourceOf(ref.resource);
  if (!resource) return '';
  const limit = container.resources?.limits?.[resource];
  const request = container.resources?.requests?.[resource];
  const amount = ref.resource.startsWith('limits.') ? (limit ?? allocatable[resource]) : (request ?? limit ?? 0);
  const divisor = ref.divisor === undefined || parseQuantity(ref.divisor) === 0 ? 1 : parseQuantity(ref.divisor);
  if (resource === 'cpu') {
    const millis = Math.ceil(parseQuantity(amount) * 1000 - 1e-9);
    return String(Math.ceil(millis / Math.round(divisor * 1000)));
  }
  return String(Math.ceil(Math.ceil(parseQuantity(amount) - 1e-9) / divisor));
}

/**
 * ownVariables turns a container's env into what expansion takes: literals to expand, and the
 * values of the downward API, ConfigMaps and Secrets resolved (never expanded). An optional
 * key reference that finds nothing leaves its variable out; one that is not optional throws
 * ContainerConfigError (config-env.ts).
 */
export function ownVariables(pod: Pod, container: Container, facts: PodFacts, configs: ConfigObjects): SpecVariable[] {
  const namespace = pod.metadata.namespace ?? 'default';
  return (container.env ?? []).flatMap((e: EnvVar): SpecVariable[] => {
    const from = e.valueFrom;
    if (!from || (e.value !== undefined && e.value !== '')) return [{ name: e.name, literal: e.value ?? '' }];
    if (from.fieldRef) return [{ name: e.name, resolved: fieldValue(pod, from.fieldRef.fieldPath, facts) }];
    if (from.resourceFieldRef) {
      const named = from.resourceFieldRef.containerName;
      const target = named ? (pod.spec.containers.find((c) => c.name === named) ?? container) : container;
      return [{ name: e.name, resolved: resourceValue(target, from.resourceFieldRef, facts.allocatable) }];
    }
    const selector = from.configMapKeyRef ?? from.secretKeyRef;
    if (!selector) return [{ name: e.name, resolved: '' }];
    const value = keyRefValue(configs, from.configMapKeyRef ? 'ConfigMap' : 'Secret', namespace, selector);
    return value === undefined ? [] : [{ name: e.name, resolved: value }];
  });
}
