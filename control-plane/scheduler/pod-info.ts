import type { Pod, Toleration } from '../../proto/objects/pod.js';
import { cpuMillis, memoryBytes } from '../../proto/quantity.js';
import { parsePodAffinity } from './pod-affinity.js';
import type { PodAffinityInfo } from './pod-affinity.js';

/** The scheduler name pods get by default (objects/defaults.ts sets it too). */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/**
 * Requests a pod without any are scored as if it asked for these (Kubernetes'
 * DefaultMilliCPURequest and DefaultMemoryRequest), so least-allocated still spreads them.
 * Fitting uses the real requests only.
 */
export const NON_ZERO_CPU_MILLIS = 100;
export const NON_ZERO_MEMORY_BYTES = 200 * 1024 * 1024;

/** HostPort is one port a pod claims on its node's addresses. */
export interface HostPort {
  protocol: string;
  /** '0.0.0.0' means every address of the node. */
  ip: string;
  port: number;
}

/**
 * PodInfo is what the filters and scorers need from a pod, parsed once per scheduling attempt
 * (quantities are strings in the object; parsing them per node would dominate the cost).
 */
export interface PodInfo {
  key: string;
  pod: Pod;
  cpuMillis: number;
  memoryBytes: number;
  nonZeroCpuMillis: number;
  nonZeroMemoryBytes: number;
  hostPorts: HostPort[];
  /** uid of the controller ownerReference (the ReplicaSet), for spreading replicas. */
  ownerUid: string | undefined;
  nodeSelector: [string, string][];
  tolerations: Toleration[];
  /** Parsed pod affinity and anti-affinity; undefined when the pod has none. */
  podAffinity: PodAffinityInfo | undefined;
}

/** podKey names a pod as informers and queues do: `namespace/name`. */
export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** needsScheduling: no node yet, ours to place, not being deleted, not finished. */
export function needsScheduling(pod: Pod, schedulerName = DEFAULT_SCHEDULER_NAME): boolean {
  return (
    !pod.spec.nodeName &&
    (pod.spec.schedulerName ?? DEFAULT_SCHEDULER_NAME) === schedulerName &&
    !pod.metadata.deletionTimestamp &&
    !isTerminal(pod)
  );
}

/** occupiesNode: a bound pod holds its node's resources until it finishes or is gone. */
export function occupiesNode(pod: Pod): boolean {
  return Boolean(pod.spec.nodeName) && !isTerminal(pod);
}

export function controllerUid(pod: Pod): string | undefined {
  return pod.metadata.ownerReferences?.find((o) => o.controller)?.uid;
}

/**
 * podInfo computes a pod's effective requests as Kubernetes does: the larger of the sum over
 * its containers and the largest single init container (init containers run one at a time).
 */
export function podInfo(pod: Pod, key = podKey(pod)): PodInfo {
  let cpu = 0;
  let memory = 0;
  let nonZeroCpu = 0;
  let nonZeroMemory = 0;
  const hostPorts: HostPort[] = [];
  for (const c of pod.spec.containers) {
    const r = c.resources?.requests;
    const cpuReq = r?.cpu !== undefined ? cpuMillis(r.cpu) : undefined;
    const memReq = r?.memory !== undefined ? memoryBytes(r.memory) : undefined;
    cpu += cpuReq ?? 0;
    memory += memReq ?? 0;
    nonZeroCpu += cpuReq ?? NON_ZERO_CPU_MILLIS;
    nonZeroMemory += memReq ?? NON_ZERO_MEMORY_BYTES;
    for (const p of c.ports ?? []) {
      if (p.hostPort) hostPorts.push({ protocol: p.protocol ?? 'TCP', ip: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  for (const c of pod.spec.initContainers ?? []) {
    const r = c.resources?.requests;
    if (r?.cpu !== undefined) cpu = Math.max(cpu, cpuMillis(r.cpu));
    if (r?.memory !== undefined) memory = Math.max(memory, memoryBytes(r.memory));
  }
  return {
    key,
    pod,
    cpuMillis: cpu,
    memoryBytes: memory,
    nonZeroCpuMillis: nonZeroCpu,
    nonZeroMemoryBytes: nonZeroMemory,
    hostPorts,
    ownerUid: controllerUid(pod),
    nodeSelector: Object.entries(pod.spec.nodeSelector ?? {}),
    tolerations: pod.spec.tolerations ?? [],
    podAffinity: parsePodAffinity(pod),
  };
}
