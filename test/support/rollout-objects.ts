/**
 * The objects of the rollout e2e tests and benchmark: their own namespace, two versions of a
 * busybox web server (and one that never becomes ready) in the local registry, Deployments of it
 * and the Service in front of them.
 */
import { buildBusyboxImage } from '../../cli/local-cluster/busybox-image.js';
import type { Deployment } from '../../proto/objects/apps.js';

/** The namespace every rollout test works in (the documentation's nginx-deployment of another suite lives on in default). */
export const NS = 'rollouts';
/** The web server's port (the container port named `http`). */
export const WEB_PORT = 8080;
/** The versions of the web server image: `rollout-web:<version>`; `never-ready` serves but fails its readiness probe forever. */
export const VERSIONS = ['v1', 'v2', 'never-ready'] as const;
export type Version = (typeof VERSIONS)[number];
export const image = (version: Version): string => `rollout-web:${version}`;

/**
 * The web server: answers `<version> <pod name>` on /, its version on /name (what the benchmarks'
 * prober asks), is ready while /www/healthz exists (never for `never-ready`). On SIGTERM it
 * stops listening and gives the requests in flight half a second before it exits, as a server
 * that drains does: as pid 1, httpd alone would ignore SIGTERM, and the container's end would cut
 * off httpd's children still answering.
 */
const WEB_SCRIPT =
  'trap \'kill $!; sleep 0.5; exit 0\' TERM; mkdir -p /www; echo "$VERSION $(hostname)" > /www/index.html; echo "$VERSION" > /www/name; [ "$VERSION" = never-ready ] || touch /www/healthz; httpd -f -p 8080 -h /www & wait';

/** pushWebImages pushes every version of the web server to the cluster's registry (the nodes' docker.io mirror). */
export async function pushWebImages(registry: string): Promise<void> {
  for (const v of VERSIONS) {
    await buildBusyboxImage(registry, 'library/rollout-web', v, undefined, { config: { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', `VERSION=${v}`], Cmd: ['sh', '-c', WEB_SCRIPT], WorkingDir: '/' } });
  }
}

/** WebOptions is used to shape a Deployment of the web server. */
export interface WebOptions {
  replicas: number;
  version: Version;
  strategy?: Deployment['spec']['strategy'];
  minReadySeconds?: number;
  progressDeadlineSeconds?: number;
  annotations?: Record<string, string>;
}

/** webDeployment is a Deployment of the web server labelled app=<name>, probed for readiness every second. */
export function webDeployment(name: string, o: WebOptions): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { app: name } },
      ...(o.strategy ? { strategy: o.strategy } : {}),
      ...(o.minReadySeconds !== undefined ? { minReadySeconds: o.minReadySeconds } : {}),
      ...(o.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: o.progressDeadlineSeconds } : {}),
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'main',
              image: image(o.version),
              ports: [{ name: 'http', containerPort: WEB_PORT }],
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
            },
          ],
        },
      },
    },
  } as Deployment;
}

/** The ClusterIP Service `name` on port 80 in front of the pods labelled app=<name>. */
export function webService(name: string): object {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 'http' }] } };
}

/** conditionOf is the Deployment's condition of that type. */
export const conditionOf = (d: Deployment, type: string) => d.status?.conditions?.find((c) => c.type === type);
