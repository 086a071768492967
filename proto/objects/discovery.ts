import type { BerthObject } from './meta.js';

/** The label that ties an EndpointSlice to its Service, as in Kubernetes. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The label naming who manages a slice (Berth's endpoints controller: `endpointslice-controller.berth.dev`). */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';

/**
 * EndpointConditions says what a proxy may do with an endpoint (Kubernetes' semantics):
 * - ready: serving and not terminating; new connections go to ready endpoints;
 * - serving: the pod passes its readiness probe, terminating or not;
 * - terminating: the pod is being deleted.
 */
export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

/** Endpoint is one backend of a Service: a pod's addresses and where it runs. */
export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
}

/** EndpointPort is one port of the slice's endpoints; `name` matches the Service port's name. */
export interface EndpointPort {
  name?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  port?: number;
  appProtocol?: string;
}

/**
 * EndpointSlice (`discovery.k8s.io/v1`) holds some of the endpoints of one Service (named by
 * the `kubernetes.io/service-name` label). The endpoints controller keeps them; every node's
 * proxy and DNS read them.
 */
export interface EndpointSlice extends BerthObject {
  apiVersion: 'discovery.k8s.io/v1';
  kind: 'EndpointSlice';
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: Endpoint[];
  ports?: EndpointPort[];
}
