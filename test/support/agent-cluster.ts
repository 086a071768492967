/**
 * A small real cluster for agent tests: etcd, a control plane that can be stopped and started
 * again on the same address, a registry with a busybox image, an ObjectStore to bind pods with
 * (what the scheduler will do), and helpers to read pods back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ControlPlane } from '../../control-plane/control-plane.js';
import { silentLogger } from './logger.js';
import { connectEtcd, type EtcdClient } from '../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../control-plane/store/object-store.js';
import type { Pod, PodSpec } from '../../proto/objects/pod.js';
import { RESOURCE } from '../../proto/resources.js';
import { startTestEtcd, type TestEtcd } from './etcd.js';
import { buildBusyboxImage } from './image-build.js';
import { freePort } from './ports.js';
import { startRegistry, type TestRegistry } from './registry-server.js';
import { testControlPlanePki } from './test-pki.js';
import { applyDefaults } from '../../control-plane/objects/defaults.js';
import { newIdentity } from '../../control-plane/objects/identity.js';

export const podsResource = RESOURCE.pods;

/** AgentTestCluster is used by the agent integration tests; stop() removes all of it. */
export class AgentTestCluster {
  controlPlane: ControlPlane | undefined;
  private constructor(
    readonly etcd: TestEtcd,
    readonly client: EtcdClient,
    readonly store: ObjectStore,
    readonly registry: TestRegistry,
    readonly image: string,
    readonly server: string,
    private readonly dataDir: string,
  ) {}

  static async start(): Promise<AgentTestCluster> {
    const etcd = await startTestEtcd();
    let registry: TestRegistry | undefined;
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-agent-cp-'));
    try {
      registry = await startRegistry();
      const built = await buildBusyboxImage(registry.address, `agent-test-${randomBytes(3).toString('hex')}`, 'v1');
      const client = connectEtcd([etcd.endpoint]);
      const cluster = new AgentTestCluster(etcd, client, new ObjectStore(client), registry, built.reference, `127.0.0.1:${await freePort()}`, dataDir);
      await cluster.startControlPlane();
      return cluster;
    } catch (err) {
      await registry?.stop();
      await etcd.stop();
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  async startControlPlane(): Promise<void> {
    const cp = new ControlPlane({ listen: this.server, etcdEndpoints: [this.etcd.endpoint], dataDir: this.dataDir, embeddedEtcdClientPort: 0, embeddedEtcdPeerPort: 0, pki: await testControlPlanePki(), logger: silentLogger() });
    await cp.start();
    this.controlPlane = cp;
  }

  async stopControlPlane(): Promise<void> {
    await this.controlPlane?.stop();
    this.controlPlane = undefined;
  }

  /** Creates a pod already bound to `node` (the scheduler's write), defaulted like ClusterAPI does. */
  async bindPod(node: string, name: string, spec: Partial<PodSpec> & Pick<PodSpec, 'containers'>, labels?: Record<string, string>): Promise<Pod> {
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) }, spec: { ...spec, nodeName: node } };
    applyDefaults(pod);
    const identity = newIdentity();
    pod.metadata.uid = identity.uid;
    pod.metadata.creationTimestamp = identity.creationTimestamp;
    return (await this.store.create(podsResource, pod)) as Pod;
  }

  async pod(name: string): Promise<Pod> {
    return (await this.store.get(podsResource, 'default', name)) as Pod;
  }

  async stop(): Promise<void> {
    await this.stopControlPlane().catch(() => undefined);
    this.client.close();
    await this.registry.stop();
    await this.etcd.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
