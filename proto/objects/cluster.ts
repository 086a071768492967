import type { BerthObject, Condition } from './meta.js';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: string;
}

export interface NodeSpec {
  podCIDR?: string;
  podCIDRs?: string[];
  unschedulable?: boolean;
  taints?: Taint[];
}

export interface NodeStatus {
  capacity?: Record<string, string>;
  allocatable?: Record<string, string>;
  conditions?: Condition[];
  addresses?: { type: 'InternalIP' | 'ExternalIP' | 'Hostname'; address: string }[];
  /** Where the node's agent serves AgentAPI (log streaming), like kubelet's daemonEndpoints. */
  daemonEndpoints?: { agentEndpoint?: { Port: number } };
  nodeInfo?: {
    kernelVersion?: string;
    osImage?: string;
    operatingSystem?: string;
    architecture?: string;
    kubeletVersion?: string;
    containerRuntimeVersion?: string;
  };
}

/** Node is a machine that runs pods; its agent registers and maintains it. */
export interface Node extends BerthObject {
  apiVersion: 'v1';
  kind: 'Node';
  spec: NodeSpec;
  status?: NodeStatus;
}

/** Namespace scopes names; objects may only be created in one that exists. */
export interface Namespace extends BerthObject {
  apiVersion: 'v1';
  kind: 'Namespace';
  spec?: { finalizers?: string[] };
  status?: { phase?: 'Active' | 'Terminating' };
}

/** Event records something that happened to an object, for `berth describe` and `berth get events`. */
export interface Event extends BerthObject {
  apiVersion: 'v1';
  kind: 'Event';
  involvedObject: { apiVersion?: string; kind: string; namespace?: string; name: string; uid?: string };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  source?: { component?: string; host?: string };
  firstTimestamp?: string;
  lastTimestamp?: string;
  count?: number;
}

/** Condition is re-exported so agents and controllers can build node and pod conditions. */
export type { Condition };

/** Lease is a node's heartbeat: its agent renews renewTime; the node-lifecycle controller reads it. */
export interface Lease extends BerthObject {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string };
}
