import type { Deployment, ReplicaSet } from '../../proto/objects/apps.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { Container, Pod, PodSpec, Probe } from '../../proto/objects/pod.js';
import type { Service } from '../../proto/objects/service.js';
import { DEFAULT_NAMESPACE, resourceForKind } from '../../proto/resources.js';

/**
 * Kubernetes' defaults, applied by the API before validation of the stored form and before any
 * write, so what `berth get -o yaml` shows is what Berth acts on. Defaulting only fills fields
 * that are absent; it never changes a value the user gave.
 */
export function applyDefaults(object: BerthObject): void {
  const info = resourceForKind(object.apiVersion, object.kind);
  if (info?.namespaced && !object.metadata.namespace) object.metadata.namespace = DEFAULT_NAMESPACE;
  switch (object.kind) {
    case 'Deployment':
      return defaultDeployment(object as Deployment);
    case 'ReplicaSet':
      return defaultReplicaSet(object as ReplicaSet);
    case 'Pod':
      return defaultPodSpec((object as Pod).spec);
    case 'Service':
      return defaultService(object as Service);
    case 'Secret':
      (object as { type?: string }).type ??= 'Opaque';
      return;
    case 'Namespace':
      object.status = { phase: 'Active', ...(object.status as object | undefined) };
      return;
  }
}

function defaultDeployment(d: Deployment): void {
  const spec = d.spec;
  spec.replicas ??= 1;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  spec.minReadySeconds ??= 0;
  // Like Kubernetes: a Deployment without labels takes its template's.
  if (!d.metadata.labels && spec.template.metadata?.labels) d.metadata.labels = { ...spec.template.metadata.labels };
  defaultPodSpec(spec.template.spec);
}

function defaultReplicaSet(rs: ReplicaSet): void {
  rs.spec.replicas ??= 1;
  rs.spec.minReadySeconds ??= 0;
  if (!rs.metadata.labels && rs.spec.template?.metadata?.labels) rs.metadata.labels = { ...rs.spec.template.metadata.labels };
  if (rs.spec.template) defaultPodSpec(rs.spec.template.spec);
}

export function defaultPodSpec(spec: PodSpec): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  spec.securityContext ??= {};
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) defaultContainer(c);
}

function defaultContainer(c: Container): void {
  c.imagePullPolicy ??= imageTag(c.image) === 'latest' ? 'Always' : 'IfNotPresent';
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) if (probe) defaultProbe(probe);
  c.resources ??= {};
  // Kubernetes: a limit without a request makes the request equal to the limit.
  for (const [name, limit] of Object.entries(c.resources.limits ?? {})) {
    c.resources.requests ??= {};
    c.resources.requests[name] ??= limit;
  }
}

function defaultProbe(p: Probe): void {
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (p.httpGet) {
    p.httpGet.path ??= '/';
    p.httpGet.scheme ??= 'HTTP';
  }
}

/** imageTag: the tag of an image reference, "latest" when it has neither tag nor digest. */
export function imageTag(image: string): string {
  if (image.includes('@')) return '';
  const lastSlash = image.lastIndexOf('/');
  const lastColon = image.lastIndexOf(':');
  return lastColon > lastSlash ? image.slice(lastColon + 1) : 'latest';
}

function defaultService(s: Service): void {
  s.spec.type ??= 'ClusterIP';
  s.spec.sessionAffinity ??= 'None';
  s.spec.internalTrafficPolicy ??= 'Cluster';
  s.spec.ipFamilies ??= ['IPv4'];
  s.spec.ipFamilyPolicy ??= 'SingleStack';
  for (const p of s.spec.ports ?? []) {
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
}
