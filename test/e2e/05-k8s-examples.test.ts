import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { buildBusyboxImage } from '../../cli/local-cluster/busybox-image.js';
import { REPO_ROOT } from '../support/cli.js';
import type { LocalClusterHandle } from '../support/local-cluster.js';
import { apply, getJson, isRunning, pod, pods, run, useSharedCluster, waitFor } from '../support/e2e-cluster.js';
import { clientPod, fetchMany } from '../support/service-e2e.js';
import { HTTPD_STAND_IN_CONFIG, pushNginxStandIns } from '../support/stand-in-images.js';

const EXAMPLES = join(REPO_ROOT, '..', 'shared', 'k8s-examples');

/** The pod the Services of the examples are asked from by name. */
const CLIENT = 'k8s-examples-client';

interface Workload {
  kind: string;
  name: string;
  replicas: number;
  selector: string;
  image: string;
}

/** The Deployments and ReplicaSets of a manifest file, with what their pods should look like. */
function workloads(file: string): Workload[] {
  return parseAllDocuments(readFileSync(join(EXAMPLES, file), 'utf8'))
    .map((d) => d.toJS() as { kind?: string; metadata?: { name: string }; spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> }; template?: { spec?: { containers?: Array<{ image: string }> } } } } | null)
    .filter((o) => o?.kind === 'Deployment' || o?.kind === 'ReplicaSet')
    .map((o) => ({
      kind: o!.kind!,
      name: o!.metadata!.name,
      replicas: o!.spec?.replicas ?? 1,
      selector: Object.entries(o!.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
      image: o!.spec?.template?.spec?.containers?.[0]?.image ?? '',
    }));
}

describe('e2e: manifests from the Kubernetes documentation apply unchanged and run', function () {
  this.timeout(120_000);
  let cluster: LocalClusterHandle;

  useSharedCluster((c) => (cluster = c), async (c) => {
    await run(c, ['delete', 'pod', CLIENT, '--ignore-not-found']);
    await waitFor(async () => expect((await getJson<{ items: Array<{ metadata: { name: string } }> }>(c, ['pods'])).items.map((p) => p.metadata.name)).to.not.include(CLIENT), 60_000);
  });
  before(async function () {
    this.timeout(240_000);
    await pushNginxStandIns(cluster.registry);
    await buildBusyboxImage(cluster.registry, 'google-samples/hello-go-gke', '1.0', undefined, { config: HTTPD_STAND_IN_CONFIG });
    await apply(cluster, clientPod(CLIENT, cluster.nodes[0]!.name));
    await waitFor(async () => expect(isRunning(await pod(cluster, CLIENT))).to.equal(true), 60_000);
  });

  /** applies the files, then waits until each workload has its replicas Running with the manifest's image. */
  async function applyAndRun(...files: string[]): Promise<void> {
    for (const f of files) await run(cluster, ['apply', '-f', join(EXAMPLES, f)]);
    for (const w of files.flatMap(workloads)) {
      await waitFor(async () => {
        const items = await pods(cluster, w.selector);
        const current = items.filter((p) => p.metadata.deletionTimestamp === undefined && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded');
        const running = current.filter((p) => isRunning(p) && p.spec.containers[0]?.image === w.image);
        expect(running, `${w.kind} ${w.name}: ${JSON.stringify(current.map((p) => [p.metadata.name, p.spec.containers[0]?.image, p.status?.phase, p.status?.containerStatuses?.[0]?.state]))}`).to.have.length(w.replicas);
        expect(current).to.have.length(w.replicas);
      }, 60_000);
    }
  }

  /**
   * reachableByName asks the Service by its short and its full name from the client pod, until
   * every pod of the selector that is Ready has answered (a new pod's endpoint may lag a moment).
   */
  async function reachableByName(service: string, selector: string): Promise<void> {
    const ready = (await pods(cluster, selector)).filter((p) => p.metadata.deletionTimestamp === undefined && p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True').map((p) => p.metadata.name).sort();
    expect(ready, `the pods of ${service}`).to.not.deep.equal([]);
    await waitFor(async () => expect([...new Set(await fetchMany(cluster, CLIENT, `http://${service}`, 10 * ready.length))].sort(), service).to.deep.equal(ready), 60_000);
    for (const answer of await fetchMany(cluster, CLIENT, `http://${service}.default.svc.cluster.local`, 3)) expect(ready, `${service}.default.svc.cluster.local`).to.include(answer);
  }

  /** deletes what the files made, and waits until their workloads' names are free again. */
  async function remove(...files: string[]): Promise<void> {
    for (const f of files) await run(cluster, ['delete', '-f', join(EXAMPLES, f), '--ignore-not-found']);
    for (const w of files.flatMap(workloads)) {
      await waitFor(async () => {
        const found = await getJson<{ items: Array<{ metadata: { name: string } }> }>(cluster, [w.kind === 'Deployment' ? 'deployments' : 'replicasets']);
        expect(found.items.map((o) => o.metadata.name)).to.not.include(w.name);
      });
    }
  }

  it('application/deployment.yaml, then its update to nginx:1.16.1', async () => {
    await applyAndRun('application-deployment.yaml');
    await applyAndRun('application-deployment-update.yaml');
    await remove('application-deployment-update.yaml');
  });

  it('controllers/frontend.yaml: a ReplicaSet applied directly', async () => {
    await applyAndRun('controllers-frontend-replicaset.yaml');
    await remove('controllers-frontend-replicaset.yaml');
  });

  it('networking/run-my-nginx.yaml and nginx-svc.yaml: the Service answers by name from another pod', async () => {
    await applyAndRun('networking-run-my-nginx.yaml', 'networking-nginx-svc.yaml');
    await reachableByName('my-nginx', 'run=my-nginx');
    await remove('networking-run-my-nginx.yaml', 'networking-nginx-svc.yaml');
  });

  it('access/backend-deployment.yaml (gcr.io image) and backend-service.yaml: the Service answers by name, through its named target port', async () => {
    await applyAndRun('access-backend-deployment.yaml', 'access-backend-service.yaml');
    await reachableByName('hello', 'app.kubernetes.io/name=hello,tier=backend');
    await remove('access-backend-deployment.yaml', 'access-backend-service.yaml');
  });

  it('controllers/nginx-deployment.yaml', async () => {
    await applyAndRun('controllers-nginx-deployment.yaml');
    await remove('controllers-nginx-deployment.yaml');
  });

  // Deleting it would take its 120 s grace period (the preStop hook sleeps 180 s): berth down removes it.
  it('pods/pod-with-graceful-termination.yaml: its Service answers by name from another pod', async () => {
    await applyAndRun('pod-with-graceful-termination.yaml');
    await reachableByName('nginx-service', 'app=nginx');
  });
});
