import type { Deployment, ReplicaSet } from '../../proto/objects/apps.js';
import type { Event, Namespace, Node } from '../../proto/objects/cluster.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { Pod } from '../../proto/objects/pod.js';
import type { EndpointSlice } from '../../proto/objects/discovery.js';
import type { Endpoints, Service } from '../../proto/objects/service.js';
import { formatLabelSelector } from '../../proto/labels.js';
import { age } from './age.js';
import { podSummary } from './pod-summary.js';
import { clusterIpText, externalIpText, servicePortsText, sliceEndpointsText, slicePortsText } from './services.js';
import { findCondition } from '../../proto/objects/conditions.js';
import type { ConfigMap, Secret } from '../../proto/objects/config.js';
import { configDataCount } from './config.js';
import { WORKLOAD_COLUMNS } from './workload-columns.js';

/** Columns is how `berth get` prints one kind: kubectl's headers, plus the extra `-o wide` ones. */
export interface Columns {
  headers: string[];
  wide: string[];
  /** The row; `wide` is set for -o wide, for columns that print more then (kubectl's EXTERNAL-IP). */
  row(object: BerthObject, now: number, wide?: boolean): string[];
  wideRow(object: BerthObject): string[];
}

const none = (s: string | undefined) => (s === undefined || s === '' ? '<none>' : s);

function containersAndImages(template: { spec: { containers: { name: string; image: string }[] } } | undefined): string[] {
  const cs = template?.spec.containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(',')];
}

/** podStatusText is the STATUS column: kubectl's reason-first summary of a pod (pod-summary.ts). */
export function podStatusText(pod: Pod): string {
  return podSummary(pod).status;
}

/** podReadyText is the READY column: ready app containers out of all of them. */
export function podReadyText(pod: Pod): string {
  return podSummary(pod).ready;
}

export function nodeStatusText(node: Node): string {
  const ready = findCondition(node.status?.conditions, 'Ready');
  const base = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
  return node.spec.unschedulable ? `${base},SchedulingDisabled` : base;
}

export function endpointsText(e: Endpoints): string {
  const all: string[] = [];
  for (const subset of e.subsets ?? []) {
    for (const a of subset.addresses ?? []) for (const p of subset.ports ?? [{ port: 0 }]) all.push(p.port ? `${a.ip}:${p.port}` : a.ip);
  }
  if (all.length === 0) return '<none>';
  return all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',');
}

export const COLUMNS: Record<string, Columns> = {
  ...WORKLOAD_COLUMNS,
  Deployment: {
    headers: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (o, now) => {
      const d = o as Deployment;
      return [d.metadata.name, `${d.status?.readyReplicas ?? 0}/${d.spec.replicas ?? 1}`, String(d.status?.updatedReplicas ?? 0), String(d.status?.availableReplicas ?? 0), age(d.metadata.creationTimestamp, now)];
    },
    wideRow: (o) => [...containersAndImages((o as Deployment).spec.template), formatLabelSelector((o as Deployment).spec.selector)],
  },
  ReplicaSet: {
    headers: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (o, now) => {
      const rs = o as ReplicaSet;
      return [rs.metadata.name, String(rs.spec.replicas ?? 1), String(rs.status?.replicas ?? 0), String(rs.status?.readyReplicas ?? 0), age(rs.metadata.creationTimestamp, now)];
    },
    wideRow: (o) => [...containersAndImages((o as ReplicaSet).spec.template), formatLabelSelector((o as ReplicaSet).spec.selector)],
  },
  Pod: {
    headers: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    wide: ['IP', 'NODE'],
    row: (o, now) => {
      const p = o as Pod;
      const summary = podSummary(p);
      return [p.metadata.name, summary.ready, summary.status, String(summary.restarts), age(p.metadata.creationTimestamp, now)];
    },
    wideRow: (o) => [none((o as Pod).status?.podIP), none((o as Pod).spec.nodeName)],
  },
  Node: {
    headers: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
    wide: ['INTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'],
    row: (o, now) => {
      const n = o as Node;
      const roles = Object.keys(n.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length));
      return [n.metadata.name, nodeStatusText(n), roles.length ? roles.join(',') : '<none>', age(n.metadata.creationTimestamp, now), none(n.status?.nodeInfo?.kubeletVersion)];
    },
    wideRow: (o) => {
      const n = o as Node;
      return [none(n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address), none(n.status?.nodeInfo?.osImage), none(n.status?.nodeInfo?.kernelVersion), none(n.status?.nodeInfo?.containerRuntimeVersion)];
    },
  },
  Service: {
    headers: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    wide: ['SELECTOR'],
    row: (o, now, wide = false) => {
      const s = o as Service;
      return [s.metadata.name, s.spec.type ?? 'ClusterIP', clusterIpText(s), externalIpText(s, wide), servicePortsText(s), age(s.metadata.creationTimestamp, now)];
    },
    wideRow: (o) => [none(Object.entries((o as Service).spec.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(','))],
  },
  Endpoints: {
    headers: ['NAME', 'ENDPOINTS', 'AGE'],
    wide: [],
    row: (o, now) => [o.metadata.name, endpointsText(o as Endpoints), age(o.metadata.creationTimestamp, now)],
    wideRow: () => [],
  },
  EndpointSlice: {
    headers: ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'],
    wide: [],
    row: (o, now) => {
      const slice = o as EndpointSlice;
      return [slice.metadata.name, slice.addressType, slicePortsText(slice), sliceEndpointsText(slice), age(slice.metadata.creationTimestamp, now)];
    },
    wideRow: () => [],
  },
  ConfigMap: {
    headers: ['NAME', 'DATA', 'AGE'],
    wide: [],
    row: (o, now) => [o.metadata.name, configDataCount(o as ConfigMap), age(o.metadata.creationTimestamp, now)],
    wideRow: () => [],
  },
  Secret: {
    headers: ['NAME', 'TYPE', 'DATA', 'AGE'],
    wide: [],
    row: (o, now) => [o.metadata.name, (o as Secret).type ?? 'Opaque', configDataCount(o as Secret), age(o.metadata.creationTimestamp, now)],
    wideRow: () => [],
  },
  Namespace: {
    headers: ['NAME', 'STATUS', 'AGE'],
    wide: [],
    row: (o, now) => [o.metadata.name, (o as Namespace).status?.phase ?? 'Active', age(o.metadata.creationTimestamp, now)],
    wideRow: () => [],
  },
  Event: {
    headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    wide: [],
    row: (o, now) => {
      const e = o as Event;
      return [age(e.lastTimestamp ?? e.metadata.creationTimestamp, now), e.type, e.reason, `${e.involvedObject.kind.toLowerCase()}/${e.involvedObject.name}`, e.message];
    },
    wideRow: () => [],
  },
};
