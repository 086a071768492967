/**
 * Requests to a Service from a client pod for as long as something (a rollout) goes on, both
 * ways a user's client sends them: busybox wget by the Service's name, a new connection (and
 * name lookup) each, one after the other; and wrk (HTTP/1.1 keep-alive client, from the host,
 * inside the client pod's network namespace) to the ClusterIP, in 2-second runs back to back.
 */
import type { Pod } from '../../proto/objects/pod.js';
import { wrk, type WrkResult } from './bench-network-load.js';
import { hostPid } from './e2e-cluster.js';
import type { LocalClusterHandle } from './local-cluster.js';
import { finish, rb, startCli } from './rollout-e2e.js';
import { NS } from './rollout-objects.js';

/** What the client saw while `body` ran. */
export interface Traffic<T> {
  result: T;
  /** wget's answers in order (`FAILED` for a request that failed or took over 3 s). */
  answers: string[];
  /** Each wrk run: its requests/s and failed requests (socket errors and non-2xx answers). */
  wrkRuns: WrkResult[];
}

/** clientPodObject is an idle busybox pod pinned to `node` in `namespace`, to send requests from. */
export function clientPodObject(name: string, namespace: string, node: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { role: 'rollout-client' } },
    spec: { nodeName: node, terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: 'busybox:1.35', command: ['sleep', '1000000'] }] },
  };
}

/**
 * withTraffic sends requests from `client` to the Service `name` (ClusterIP `clusterIP`) from
 * before `body` starts until after it ends, and returns everything the client saw.
 */
export async function withTraffic<T>(cluster: LocalClusterHandle, client: Pod, name: string, clusterIP: string, body: () => Promise<T>): Promise<Traffic<T>> {
  const pod = client.metadata.name;
  await rb(cluster, ['exec', pod, '--', 'rm', '-f', '/tmp/stop']);
  // busybox wget -T crashes; timeout bounds each request instead.
  const loop = startCli(cluster, ['-n', NS, 'exec', pod, '--', 'sh', '-c', `while [ ! -e /tmp/stop ]; do timeout 3 wget -qO- http://${name} || echo FAILED; done`]);
  const netns = `/proc/${hostPid(cluster, client)}/ns/net`;
  const wrkRuns: WrkResult[] = [];
  let stop = false;
  const keepAlive = (async () => {
    while (!stop) wrkRuns.push(await wrk(netns, `http://${clusterIP}/`, 2, 4));
  })();
  let result: T;
  let keepAliveError: unknown;
  try {
    result = await body();
  } finally {
    stop = true;
    await rb(cluster, ['exec', pod, '--', 'touch', '/tmp/stop']).catch(() => undefined);
    keepAliveError = await keepAlive.then(() => undefined, (err: unknown) => err);
  }
  if (keepAliveError !== undefined) throw keepAliveError;
  const ended = await finish(loop, 10_000);
  return { result, answers: ended.stdout.trim().split('\n').filter((l) => l !== ''), wrkRuns };
}
