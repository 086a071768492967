import type { Node, Taint } from '../../../proto/objects/cluster.js';
import type { Pod, PodSpec } from '../../../proto/objects/pod.js';

/** node builds a Ready Node with the given allocatable (cpu, memory, pods). */
export function node(name: string, options: { cpu?: string; memory?: string; pods?: string; ready?: boolean; cordoned?: boolean; labels?: Record<string, string>; taints?: Taint[] } = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: options.labels ?? {}, resourceVersion: '1' },
    spec: { ...(options.cordoned ? { unschedulable: true } : {}), ...(options.taints ? { taints: options.taints } : {}) },
    status: {
      allocatable: { cpu: options.cpu ?? '4', memory: options.memory ?? '8Gi', pods: options.pods ?? '110' },
      conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }],
    },
  };
}

/** pod builds a pending pod with one container requesting cpu and memory. */
export function pod(name: string, options: { cpu?: string; memory?: string; owner?: string; nodeName?: string; hostPort?: number; spec?: Partial<PodSpec>; rv?: string } = {}): Pod {
  const requests: Record<string, string> = {};
  if (options.cpu) requests.cpu = options.cpu;
  if (options.memory) requests.memory = options.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      resourceVersion: options.rv ?? '10',
      ...(options.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: options.owner, uid: `rs-${options.owner}`, controller: true }] } : {}),
    },
    spec: {
      schedulerName: 'default-scheduler',
      containers: [
        {
          name: 'c',
          image: 'busybox',
          ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}),
          ...(options.hostPort ? { ports: [{ containerPort: 80, hostPort: options.hostPort }] } : {}),
        },
      ],
      ...(options.nodeName ? { nodeName: options.nodeName } : {}),
      ...options.spec,
    },
    status: { phase: 'Pending' },
  };
}
