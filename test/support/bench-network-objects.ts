/**
 * The objects the network benchmark runs on: busybox httpd pods that answer /name with their
 * own name (so a client can tell which endpoint a connection reached), idle client pods, and
 * ClusterIP Services in front of the httpd pods. Every pod is pinned to a node.
 */
import type { Pod } from '../../proto/objects/pod.js';
import type { Service } from '../../proto/objects/service.js';
import { CACHED_IMAGE } from './bench-images.js';

/** The port the httpd pods listen on (the Services' targetPort). */
export const HTTPD_PORT = 8080;
/** The port of the Services. */
export const SERVICE_PORT = 80;

/** HttpdPodOptions is used to shape an httpd pod. */
export interface HttpdPodOptions {
  /** Labels (a Service selects on them). */
  labels: Record<string, string>;
  /** How long it keeps serving after the delete (httpd is the container's pid 1, which SIGTERM does not end: it goes at the SIGKILL). */
  graceSeconds: number;
}

/**
 * httpdPod is busybox httpd on HTTPD_PORT, serving /name (the pod's name) and /index.html (a
 * 612-byte page, nginx's default size), Ready once an httpGet probe of /name succeeds.
 */
export function httpdPod(name: string, namespace: string, node: string, options: HttpdPodOptions): Pod {
  const script = [
    'mkdir -p /www',
    `echo ${name} > /www/name`,
    "head -c 612 /dev/zero | tr '\\0' x > /www/index.html",
    `exec httpd -f -p 0.0.0.0:${HTTPD_PORT} -h /www`,
  ].join(' && ');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: options.labels },
    spec: {
      terminationGracePeriodSeconds: options.graceSeconds,
      nodeSelector: { 'kubernetes.io/hostname': node },
      containers: [
        {
          name: 'main',
          image: CACHED_IMAGE,
          command: ['sh', '-c', script],
          ports: [{ name: 'http', containerPort: HTTPD_PORT }],
          readinessProbe: { httpGet: { path: '/name', port: HTTPD_PORT }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    },
  } as Pod;
}

/** clientPod is an idle busybox pod: the load generators run in its network namespace. */
export function clientPod(name: string, namespace: string, node: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { bench: 'client' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      nodeSelector: { 'kubernetes.io/hostname': node },
      containers: [{ name: 'main', image: CACHED_IMAGE, command: ['sleep', '3600'] }],
    },
  } as Pod;
}

/** clusterIPService is a ClusterIP Service on SERVICE_PORT → HTTPD_PORT of the pods matching `selector`. */
export function clusterIPService(name: string, namespace: string, selector: Record<string, string>): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector, ports: [{ name: 'http', port: SERVICE_PORT, targetPort: HTTPD_PORT, protocol: 'TCP' }] },
  } as Service;
}
