/** What `describe` prints of pods and pod templates: containers, their states and mounts, volumes. */
import type { Container, ContainerState, ContainerStatus, Pod, PodTemplateSpec } from '../../proto/objects/pod.js';
import type { Volume } from '../../proto/objects/volume.js';
import { podStatusText } from './columns.js';
import { envFromText, envValueText } from './config.js';
import { indentBlock, Lines, timestamp } from './describe-lines.js';
import { mountTexts, volumeFields } from './describe-volumes.js';
import { describeProbe } from './probes.js';
import { formatTable } from './table.js';

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
  if (c.envFrom?.length) l.field('Environment Variables from', envFromText(c.envFrom), i);
  const env = (c.env ?? []).map((e) => `${e.name}=${envValueText(e)}`);
  l.field('Environment', env.join(', ') || '<none>', i);
  const mounts = mountTexts(c);
  if (mounts.length === 0) l.field('Mounts', '<none>', i);
  else {
    l.line(`${' '.repeat(i)}Mounts:`);
    for (const m of mounts) l.line(`${' '.repeat(i + 2)}${m}`);
  }
}

/** volumes prints a pod's (or template's) Volumes section at `indent`, as kubectl does. */
function volumes(list: Volume[] | undefined, l: Lines, indent: number): void {
  if (!list?.length) return l.field('Volumes', '<none>', indent);
  l.line(`${' '.repeat(indent)}Volumes:`);
  for (const v of list) {
    l.line(`${' '.repeat(indent + 2)}${v.name}:`);
    for (const [key, value] of volumeFields(v)) l.field(key, value, indent + 4);
  }
}

/** containerState prints a container's state (or last state) under `key`, as kubectl does. */
function containerState(key: string, s: ContainerState | undefined, l: Lines): void {
  if (s?.running) {
    l.field(key, 'Running', 3);
    if (s.running.startedAt) l.field('Started', timestamp(s.running.startedAt), 4);
  } else if (s?.waiting) {
    l.field(key, 'Waiting', 3);
    if (s.waiting.reason) l.field('Reason', s.waiting.reason, 4);
    if (s.waiting.message) l.field('Message', s.waiting.message, 4);
  } else if (s?.terminated) {
    const t = s.terminated;
    l.field(key, 'Terminated', 3);
    if (t.reason) l.field('Reason', t.reason, 4);
    if (t.message) l.field('Message', t.message, 4);
    l.field('Exit Code', t.exitCode, 4);
    if (t.signal) l.field('Signal', t.signal, 4);
    if (t.startedAt) l.field('Started', timestamp(t.startedAt), 4);
    if (t.finishedAt) l.field('Finished', timestamp(t.finishedAt), 4);
  } else {
    l.field(key, key === 'State' ? 'Unknown' : '', 3);
  }
}

/** podContainers prints a pod's containers under `title`, each with its state, last state, readiness and restarts. */
function podContainers(title: string, containers: Container[], statuses: ContainerStatus[] | undefined, l: Lines): void {
  l.line(`${title}:`);
  for (const c of containers) {
    container(c, l, 2);
    const st = statuses?.find((s) => s.name === c.name);
    if (!st) continue;
    containerState('State', st.state, l);
    if (st.lastState?.terminated || st.lastState?.waiting || st.lastState?.running) containerState('Last State', st.lastState, l);
    l.field('Ready', st.ready ? 'True' : 'False', 3);
    l.field('Restart Count', st.restartCount, 3);
  }
}

export function podTemplate(t: PodTemplateSpec | undefined, l: Lines): void {
  if (!t) return;
  l.line('Pod Template:');
  l.map('Labels', t.metadata?.labels, 2);
  // As kubectl: a template's annotations (restartedAt, a revision's change-cause) show only when it has some.
  if (Object.keys(t.metadata?.annotations ?? {}).length > 0) l.map('Annotations', t.metadata?.annotations, 2);
  if (t.spec.initContainers?.length) {
    l.line('  Init Containers:');
    for (const c of t.spec.initContainers) container(c, l, 3);
  }
  l.line('  Containers:');
  for (const c of t.spec.containers) container(c, l, 3);
  volumes(t.spec.volumes, l, 2);
}


/** describePod prints a pod's own fields, containers, conditions and volumes, as kubectl does. */
export function describePod(p: Pod, l: Lines): void {
  l.field('Node', p.spec.nodeName);
  l.field('Start Time', p.status?.startTime ? timestamp(p.status.startTime) : undefined);
  l.field('Status', podStatusText(p));
  l.field('IP', p.status?.podIP);
  const controller = p.metadata.ownerReferences?.find((r) => r.controller);
  l.field('Controlled By', controller ? `${controller.kind}/${controller.name}` : undefined);
  // As kubectl: the Init Containers section only for a pod that has some, before the app containers.
  if (p.spec.initContainers?.length) podContainers('Init Containers', p.spec.initContainers, p.status?.initContainerStatuses, l);
  podContainers('Containers', p.spec.containers, p.status?.containerStatuses, l);
  if (p.status?.conditions?.length) {
    l.line('Conditions:');
    l.line(indentBlock(formatTable(['Type', 'Status'], p.status.conditions.map((c) => [c.type, c.status]))));
  }
  volumes(p.spec.volumes, l, 0);
  l.map('Node-Selectors', p.spec.nodeSelector);
}
