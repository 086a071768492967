import type { Deployment, ReplicaSet } from '../../proto/objects/apps.js';
import type { Event, Node } from '../../proto/objects/cluster.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { Container, Pod, PodTemplateSpec } from '../../proto/objects/pod.js';
import type { Service } from '../../proto/objects/service.js';
import { formatLabelSelector } from '../../proto/labels.js';
import { age } from './age.js';
import { endpointsText, nodeStatusText, podStatusText } from './columns.js';
import { describeProbe } from './probes.js';
import { formatTable } from './table.js';

/** Annotations that describe hides, as kubectl hides its own last-applied annotation. */
const HIDDEN_ANNOTATIONS = new Set(['berth.dev/last-applied-configuration']);

/** Lines accumulates `Key:  value` lines with kubectl describe's alignment and indentation. */
class Lines {
  private readonly out: string[] = [];
  field(key: string, value: string | number | undefined, indent = 0): void {
    this.out.push(`${' '.repeat(indent)}${`${key}:`.padEnd(Math.max(24 - indent, key.length + 2))}${value === undefined || value === '' ? '<none>' : value}`);
  }
  map(key: string, values: Record<string, string> | undefined, indent = 0): void {
    const entries = Object.entries(values ?? {}).filter(([k]) => !HIDDEN_ANNOTATIONS.has(k));
    if (entries.length === 0) return this.field(key, '<none>', indent);
    entries.forEach(([k, v], i) => {
      if (i === 0) this.field(key, `${k}=${v}`, indent);
      else this.out.push(`${' '.repeat(Math.max(24, indent + key.length + 2))}${k}=${v}`);
    });
  }
  line(text: string): void {
    this.out.push(text);
  }
  toString(): string {
    return this.out.join('\n');
  }
}

function timestamp(ts: string | undefined): string {
  return ts ? new Date(ts).toUTCString().replace('GMT', '+0000') : '<unknown>';
}

function meta(o: BerthObject, l: Lines): void {
  l.field('Name', o.metadata.name);
  if (o.metadata.namespace) l.field('Namespace', o.metadata.namespace);
  l.field('CreationTimestamp', timestamp(o.metadata.creationTimestamp));
  l.map('Labels', o.metadata.labels);
  l.map('Annotations', o.metadata.annotations);
}

function container(c: Container, l: Lines, indent: number): void {
  l.line(`${' '.repeat(indent)}${c.name}:`);
  const i = indent + 1;
  l.field('Image', c.image, i);
  const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`);
  l.field('Port', ports.join(', ') || '<none>', i);
  if (c.command) l.field('Command', c.command.join(' '), i);
  if (c.args) l.field('Args', c.args.join(' '), i);
  const limits = Object.entries(c.resources?.limits ?? {}).map(([k, v]) => `${k}: ${v}`);
  const requests = Object.entries(c.resources?.requests ?? {}).map(([k, v]) => `${k}: ${v}`);
  if (limits.length) l.field('Limits', limits.join(', '), i);
  if (requests.length) l.field('Requests', requests.join(', '), i);
  if (c.livenessProbe) l.field('Liveness', describeProbe(c.livenessProbe), i);
  if (c.readinessProbe) l.field('Readiness', describeProbe(c.readinessProbe), i);
  if (c.startupProbe) l.field('Startup', describeProbe(c.startupProbe), i);
  const env = (c.env ?? []).map((e) => `${e.name}=${e.value ?? ''}`);
  l.field('Environment', env.join(', ') || '<none>', i);
}

function podTemplate(t: PodTemplateSpec | undefined, l: Lines): void {
  if (!t) return;
  l.line('Pod Template:');
  l.map('Labels', t.metadata?.labels, 2);
  l.line('  Containers:');
  for (const c of t.spec.containers) container(c, l, 3);
}

const DESCRIBERS: Record<string, (o: BerthObject, l: Lines) => void> = {
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
  Pod: (o, l) => {
    const p = o as Pod;
    l.field('Node', p.spec.nodeName);
    l.field('Start Time', p.status?.startTime ? timestamp(p.status.startTime) : undefined);
    l.field('Status', podStatusText(p));
    l.field('IP', p.status?.podIP);
    const controller = p.metadata.ownerReferences?.find((r) => r.controller);
    l.field('Controlled By', controller ? `${controller.kind}/${controller.name}` : undefined);
    l.line('Containers:');
    for (const c of p.spec.containers) {
      container(c, l, 2);
      const st = p.status?.containerStatuses?.find((s) => s.name === c.name);
      if (!st) continue;
      const state = st.state?.running ? 'Running' : st.state?.waiting ? 'Waiting' : st.state?.terminated ? 'Terminated' : 'Unknown';
      l.field('State', state, 3);
      const reason = st.state?.waiting?.reason ?? st.state?.terminated?.reason;
      if (reason) l.field('Reason', reason, 4);
      if (st.state?.terminated) l.field('Exit Code', st.state.terminated.exitCode, 4);
      l.field('Ready', st.ready ? 'True' : 'False', 3);
      l.field('Restart Count', st.restartCount, 3);
    }
    if (p.status?.conditions?.length) {
      l.line('Conditions:');
      l.line(indentBlock(formatTable(['Type', 'Status'], p.status.conditions.map((c) => [c.type, c.status]))));
    }
    l.map('Node-Selectors', p.spec.nodeSelector);
  },
  Service: (o, l) => {
    const s = o as Service;
    l.map('Selector', s.spec.selector);
    l.field('Type', s.spec.type ?? 'ClusterIP');
    l.field('IP', s.spec.clusterIP);
    for (const p of s.spec.ports ?? []) {
      l.field('Port', `${p.name || '<unset>'}  ${p.port}/${p.protocol ?? 'TCP'}`);
      l.field('TargetPort', `${p.targetPort ?? p.port}/${p.protocol ?? 'TCP'}`);
    }
    l.field('Session Affinity', s.spec.sessionAffinity ?? 'None');
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
};

/** sortEvents orders events by when they last happened; the etcd revision breaks same-second ties. */
export function sortEvents<T extends Event>(events: T[]): T[] {
  const time = (e: Event) => Date.parse(e.lastTimestamp ?? e.metadata.creationTimestamp ?? '') || 0;
  return [...events].sort((a, b) => time(a) - time(b) || Number(a.metadata.resourceVersion ?? 0) - Number(b.metadata.resourceVersion ?? 0));
}

function indentBlock(text: string): string {
  return text.split('\n').map((line) => `  ${line}`).join('\n');
}

/** describeObject prints an object and the events about it, as `kubectl describe` does. */
export function describeObject(object: BerthObject, events: Event[], now = Date.now()): string {
  const l = new Lines();
  meta(object, l);
  DESCRIBERS[object.kind]?.(object, l);
  if (events.length === 0) {
    l.field('Events', '<none>');
  } else {
    l.line('Events:');
    const sorted = sortEvents(events);
    l.line(indentBlock(formatTable(['Type', 'Reason', 'Age', 'From', 'Message'], sorted.map((e) => [e.type, e.reason, age(e.lastTimestamp ?? e.metadata.creationTimestamp, now), e.source?.component ?? '', e.message]))));
  }
  return l.toString();
}
