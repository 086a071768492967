import type { BerthObject, IntOrString } from './meta.js';

/** ServicePort is one port a Service exposes; nodePort is set for NodePort and LoadBalancer Services. */
export interface ServicePort {
  name?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  targetPort?: IntOrString;
  nodePort?: number;
  appProtocol?: string;
}

/** ServiceType is how a Service is reached: its ClusterIP, also every node's port, or a DNS alias. */
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

/** HEADLESS is the clusterIP of a Service without a virtual IP: its name resolves to its pods. */
export const HEADLESS = 'None';

/** The range nodePorts are taken from (Kubernetes' default --service-node-port-range). */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/** ServiceSpec is what a user asks of a Service; clusterIP and nodePorts are filled in by the API when absent. */
export interface ServiceSpec {
  type?: ServiceType;
  selector?: Record<string, string>;
  ports?: ServicePort[];
  /** An IPv4 address of the service range, or `None` (headless). */
  clusterIP?: string;
  /** Mirrors clusterIP (Berth is single-stack IPv4). */
  clusterIPs?: string[];
  /** The DNS name an ExternalName Service is an alias of. */
  externalName?: string;
  sessionAffinity?: 'None' | 'ClientIP';
  publishNotReadyAddresses?: boolean;
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  internalTrafficPolicy?: 'Cluster' | 'Local';
}

/** LoadBalancerIngress is one address a LoadBalancer Service is reachable on (in Berth: a Ready node's InternalIP). */
export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

/** ServiceStatus: for a LoadBalancer Service, the addresses it is exposed on. */
export interface ServiceStatus {
  loadBalancer?: { ingress?: LoadBalancerIngress[] };
}

/** Service gives a set of pods a stable name and virtual address. */
export interface Service extends BerthObject {
  apiVersion: 'v1';
  kind: 'Service';
  spec: ServiceSpec;
  status?: ServiceStatus;
}

/** needsClusterIP: every Service but a headless or ExternalName one has a virtual IP. */
export function needsClusterIP(spec: ServiceSpec): boolean {
  return spec.type !== 'ExternalName' && spec.clusterIP !== HEADLESS;
}

/** needsNodePorts: NodePort and LoadBalancer Services are exposed on a port of every node. */
export function needsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/**
 * Endpoints (v1) lists the addresses behind a Service, as a user writes them for a Service
 * without a selector (an outside database, say). Berth writes no Endpoints itself: its endpoints
 * controller mirrors these into EndpointSlices, which proxies and DNS read.
 */
export interface Endpoints extends BerthObject {
  apiVersion: 'v1';
  kind: 'Endpoints';
  subsets?: EndpointSubset[];
}
