import type { Deployment, ReplicaSet } from '../../proto/objects/apps.js';
import type { DaemonSet } from '../../proto/objects/daemonset.js';
import type { Job } from '../../proto/objects/job.js';
import type { Event, Node } from '../../proto/objects/cluster.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { Pod, PodTemplateSpec } from '../../proto/objects/pod.js';
import type { EndpointSlice } from '../../proto/objects/discovery.js';
import type { Service } from '../../proto/objects/service.js';
import type { ConfigMap, Secret } from '../../proto/objects/config.js';
import { formatLabelSelector } from '../../proto/labels.js';
import { age } from './age.js';
import { describeConfigMapLines, describeSecretLines } from './config.js';
import { endpointsText, nodeStatusText } from './columns.js';
import { indentBlock, Lines, timestamp } from './describe-lines.js';
import { describePod, podTemplate } from './describe-pod.js';
import { serviceEndpointsText } from './services.js';
import { formatTable } from './table.js';
import { jobDurationText } from './workload-columns.js';

/** Kinds whose kubectl describe prints no creation time. */
const WITHOUT_CREATION_TIME = new Set(['Service', 'EndpointSlice', 'ConfigMap', 'Secret']);

function meta(o: BerthObject, l: Lines): void {
  l.field('Name', o.metadata.name);
  if (o.metadata.namespace) l.field('Namespace', o.metadata.namespace);
  if (!WITHOUT_CREATION_TIME.has(o.kind)) l.field('CreationTimestamp', timestamp(o.metadata.creationTimestamp));
  l.map('Labels', o.metadata.labels);
  l.map('Annotations', o.metadata.annotations);
}

/** Related is what describe shows beside the object itself: a Service's EndpointSlices, a DaemonSet's or Job's pods. */
export interface Related {
  endpointSlices?: EndpointSlice[];
  pods?: Pod[];
}

function countPhases(pods: readonly Pod[] | undefined): Record<string, number> {
  const counts: Record<string, number> = { Running: 0, Pending: 0, Succeeded: 0, Failed: 0 };
  for (const p of pods ?? []) counts[p.status?.phase ?? 'Pending'] = (counts[p.status?.phase ?? 'Pending'] ?? 0) + 1;
  return counts;
}

const DESCRIBERS: Record<string, (o: BerthObject, l: Lines, related: Related) => void> = {
  Pod: (o, l) => describePod(o as Pod, l),
  Deployment: (o, l) => {
    const d = o as Deployment;
    const s = d.status ?? {};
    l.field('Selector', formatLabelSelector(d.spec.selector));
    l.field('Replicas', `${d.spec.replicas ?? 1} desired | ${s.updatedReplicas ?? 0} updated | ${s.replicas ?? 0} total | ${s.availableReplicas ?? 0} available | ${s.unavailableReplicas ?? 0} unavailable`);
    l.field('StrategyType', d.spec.strategy?.type ?? 'RollingUpdate');
    l.field('MinReadySeconds', d.spec.minReadySeconds ?? 0);
    const ru = d.spec.strategy?.rollingUpdate;
    if (ru) l.field('RollingUpdateStrategy', `${ru.maxUnavailable} max unavailable, ${ru.maxSurge} max surge`);
    podTemplate(d.spec.template, l);
    if (s.conditions?.length) {
      l.line('Conditions:');
      l.line(indentBlock(formatTable(['Type', 'Status', 'Reason'], s.conditions.map((c) => [c.type, c.status, c.reason ?? '']))));
    }
  },
  ReplicaSet: (o, l) => {
    const rs = o as ReplicaSet;
    l.field('Selector', formatLabelSelector(rs.spec.selector));
    l.field('Replicas', `${rs.status?.replicas ?? 0} current / ${rs.spec.replicas ?? 1} desired`);
    const controller = rs.metadata.ownerReferences?.find((r) => r.controller);
    l.field('Controlled By', controller ? `${controller.kind}/${controller.name}` : undefined);
    podTemplate(rs.spec.template, l);
  },
  DaemonSet: (o, l, related) => {
    const ds = o as DaemonSet;
    const s = ds.status;
    const phases = countPhases(related.pods);
    l.field('Selector', formatLabelSelector(ds.spec.selector));
    l.field('Node-Selector', Object.entries(ds.spec.template.spec.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`).join(','));
    l.field('Desired Number of Nodes Scheduled', s?.desiredNumberScheduled ?? 0);
    l.field('Current Number of Nodes Scheduled', s?.currentNumberScheduled ?? 0);
    l.field('Number of Nodes Scheduled with Up-to-date Pods', s?.updatedNumberScheduled ?? 0);
    l.field('Number of Nodes Scheduled with Available Pods', s?.numberAvailable ?? 0);
    l.field('Number of Nodes Misscheduled', s?.numberMisscheduled ?? 0);
    l.field('Pods Status', `${phases.Running} Running / ${phases.Pending} Waiting / ${phases.Succeeded} Succeeded / ${phases.Failed} Failed`);
    l.field('Update Strategy', ds.spec.updateStrategy?.type ?? 'RollingUpdate');
    const ru = ds.spec.updateStrategy?.rollingUpdate;
    if (ru) l.field('Max Unavailable', ru.maxUnavailable ?? 1);
    podTemplate(ds.spec.template, l);
  },
  Job: (o, l) => {
    const job = o as Job;
    const s = job.status ?? {};
    l.field('Selector', job.spec.selector ? formatLabelSelector(job.spec.selector) : undefined);
    l.field('Parallelism', job.spec.parallelism ?? 1);
    l.field('Completions', job.spec.completions ?? '<unset>');
    l.field('Completion Mode', job.spec.completionMode ?? 'NonIndexed');
    l.field('Suspend', String(job.spec.suspend ?? false));
    l.field('Backoff Limit', job.spec.backoffLimit ?? 6);
    if (job.spec.ttlSecondsAfterFinished !== undefined) l.field('TTL Seconds After Finished', job.spec.ttlSecondsAfterFinished);
    if (s.startTime) l.field('Start Time', timestamp(s.startTime));
    if (s.completionTime) l.field('Completed At', timestamp(s.completionTime));
    if (s.startTime) l.field('Duration', jobDurationText(job, Date.now()));
    if (job.spec.activeDeadlineSeconds !== undefined) l.field('Active Deadline Seconds', `${job.spec.activeDeadlineSeconds}s`);
    l.field('Pods Statuses', `${s.active ?? 0} Active (${s.ready ?? 0} Ready) / ${s.succeeded ?? 0} Succeeded / ${s.failed ?? 0} Failed`);
    podTemplate(job.spec.template, l);
    if (s.conditions?.length) {
      l.line('Conditions:');
      l.line(indentBlock(formatTable(['Type', 'Status', 'Reason'], s.conditions.map((c) => [c.type, c.status, c.reason ?? '']))));
    }
  },
  Service: (o, l, related) => {
    const s = o as Service;
    l.field('Selector', Object.entries(s.spec.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(','));
    l.field('Type', s.spec.type ?? 'ClusterIP');
    if (s.spec.ipFamilyPolicy) l.field('IP Family Policy', s.spec.ipFamilyPolicy);
    l.field('IP Families', (s.spec.ipFamilies ?? []).join(','));
    l.field('IP', s.spec.clusterIP);
    l.field('IPs', (s.spec.clusterIPs ?? []).join(','));
    if (s.spec.externalName) l.field('External Name', s.spec.externalName);
    const ingress = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter((x) => x !== '');
    if (ingress.length > 0) l.field('LoadBalancer Ingress', ingress.join(', '));
    for (const p of s.spec.ports ?? []) {
      const name = p.name || '<unset>';
      const protocol = p.protocol ?? 'TCP';
      l.field('Port', `${name}  ${p.port}/${protocol}`);
      l.field('TargetPort', `${p.targetPort ?? p.port}/${protocol}`);
      if (p.nodePort) l.field('NodePort', `${name}  ${p.nodePort}/${protocol}`);
      l.field('Endpoints', serviceEndpointsText(related.endpointSlices ?? [], p.name ?? ''));
    }
    l.field('Session Affinity', s.spec.sessionAffinity ?? 'None');
    if (s.spec.internalTrafficPolicy) l.field('Internal Traffic Policy', s.spec.internalTrafficPolicy);
  },
  Node: (o, l) => {
    const n = o as Node;
    l.field('Status', nodeStatusText(n));
    l.field('Unschedulable', n.spec.unschedulable ? 'true' : 'false');
    l.field('PodCIDR', n.spec.podCIDR);
    for (const a of n.status?.addresses ?? []) l.field(a.type, a.address);
    l.map('Capacity', n.status?.capacity);
    l.map('Allocatable', n.status?.allocatable);
    const taints = (n.spec.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`);
    l.field('Taints', taints.join(', ') || '<none>');
  },
  Endpoints: (o, l) => l.field('Subsets', endpointsText(o as never)),
  ConfigMap: (o, l) => describeConfigMapLines(o as ConfigMap).forEach((t) => l.line(t)),
  // Keys and sizes only: a Secret's values are never printed.
  Secret: (o, l) => describeSecretLines(o as Secret).forEach((t) => l.line(t)),
  EndpointSlice: (o, l) => {
    const slice = o as EndpointSlice;
    l.field('AddressType', slice.addressType);
    const ports = slice.ports ?? [];
    if (ports.length === 0) l.field('Ports', '<unset>');
    else {
      l.line('Ports:');
      l.line(indentBlock(formatTable(['Name', 'Port', 'Protocol'], [['----', '----', '--------'], ...ports.map((p) => [p.name || '<unset>', p.port === undefined ? '<unset>' : String(p.port), p.protocol ?? 'TCP'])])));
    }
    if (slice.endpoints.length === 0) return l.field('Endpoints', '<none>');
    l.line('Endpoints:');
    for (const e of slice.endpoints) {
      l.line(`  - Addresses:  ${e.addresses.join(', ')}`);
      l.line('    Conditions:');
      for (const [name, value] of [['Ready', e.conditions?.ready], ['Serving', e.conditions?.serving], ['Terminating', e.conditions?.terminating]] as const) {
        l.line(`      ${`${name}:`.padEnd(13)}${value === undefined ? '<unset>' : String(value)}`);
      }
      l.line(`    Hostname:   ${e.hostname ?? '<unset>'}`);
      l.line(`    TargetRef:  ${e.targetRef ? `${e.targetRef.kind}/${e.targetRef.name}` : '<unset>'}`);
      l.line(`    NodeName:   ${e.nodeName ?? '<unset>'}`);
      l.line(`    Zone:       ${e.zone ?? '<unset>'}`);
    }
  },
};

/** sortEvents orders events by when they last happened; the etcd revision breaks same-second ties. */
export function sortEvents<T extends Event>(events: T[]): T[] {
  const time = (e: Event) => Date.parse(e.lastTimestamp ?? e.metadata.creationTimestamp ?? '') || 0;
  return [...events].sort((a, b) => time(a) - time(b) || Number(a.metadata.resourceVersion ?? 0) - Number(b.metadata.resourceVersion ?? 0));
}

/** describeObject prints an object, what is related to it, and the events about it, as `kubectl describe` does. */
export function describeObject(object: BerthObject, events: Event[], now = Date.now(), related: Related = {}): string {
  const l = new Lines();
  meta(object, l);
  DESCRIBERS[object.kind]?.(object, l, related);
  if (events.length === 0) {
    l.field('Events', '<none>');
  } else {
    l.line('Events:');
    const sorted = sortEvents(events);
    l.line(indentBlock(formatTable(['Type', 'Reason', 'Age', 'From', 'Message'], sorted.map((e) => [e.type, e.reason, age(e.lastTimestamp ?? e.metadata.creationTimestamp, now), e.source?.component ?? '', e.message]))));
  }
  return l.toString();
}

/** describePodTemplate prints a pod template as describe does (`berth rollout history --revision N`). */
export function describePodTemplate(template: PodTemplateSpec): string {
  const l = new Lines();
  podTemplate(template, l);
  return l.toString();
}
