/** Builders of Service and EndpointSlice objects for tests of the node's proxy and DNS. */
import type { EndpointSlice } from '../../proto/objects/discovery.js';
import type { Service, ServicePort, ServiceSpec } from '../../proto/objects/service.js';

/** service builds a Service `namespace/name` with the given spec. */
export function service(name: string, spec: ServiceSpec, namespace = 'default', status?: Service['status']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, uid: `uid-${namespace}-${name}` }, spec, ...(status ? { status } : {}) };
}

/** EndpointSpec is one endpoint of a test slice. */
export interface EndpointSpec {
  ip: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  hostname?: string;
  nodeName?: string;
}

/** slice builds an EndpointSlice of Service `namespace/serviceName` with the given ports and endpoints. */
export function slice(serviceName: string, sliceName: string, ports: Array<Pick<ServicePort, 'name' | 'protocol'> & { port: number }>, endpoints: EndpointSpec[], namespace = 'default'): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: sliceName, namespace, labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), protocol: p.protocol ?? 'TCP', port: p.port })),
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.hostname ? { hostname: e.hostname } : {}),
      ...(e.nodeName ? { nodeName: e.nodeName } : {}),
    })),
  };
}
