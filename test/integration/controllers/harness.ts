import { expect } from 'chai';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { DeploymentController } from '../../../control-plane/controllers/deployment-controller.js';
import { EndpointSliceController } from '../../../control-plane/controllers/endpointslice-controller.js';
import { LoadBalancerController } from '../../../control-plane/controllers/loadbalancer-controller.js';
import { GC_RESOURCES, GarbageCollector, gcKey } from '../../../control-plane/controllers/garbage-collector.js';
import type { Informer } from '../../../control-plane/watch/informer.js';
import { NodeLifecycleController } from '../../../control-plane/controllers/node-lifecycle-controller.js';
import { ReplicaSetController } from '../../../control-plane/controllers/replicaset-controller.js';
import { ignoreNotFound } from '../../../control-plane/controllers/controller-util.js';
import { SharedInformers } from '../../../control-plane/watch/shared-informers.js';
import { CollectingEventSink } from '../../support/event-sink.js';
import { silentLogger } from '../../support/logger.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { Deployment, ReplicaSet } from '../../../proto/objects/apps.js';
import type { Lease, Node } from '../../../proto/objects/cluster.js';
import type { BerthObject } from '../../../proto/objects/meta.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import type { ResourceInfo } from '../../../proto/resources.js';
import { startTestEtcd } from '../../support/etcd.js';
import type { TestEtcd } from '../../support/etcd.js';
import { eventually } from '../../support/wait.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';
import { applyDefaults } from '../../../control-plane/objects/defaults.js';
import { cacheKey, type ObjectCache } from '../../../control-plane/watch/object-cache.js';

export const R = {
  pods: RESOURCE.pods,
  replicasets: RESOURCE.replicasets,
  deployments: RESOURCE.deployments,
  nodes: RESOURCE.nodes,
  leases: RESOURCE.leases,
  services: RESOURCE.services,
  endpointslices: RESOURCE.endpointslices,
  endpoints: RESOURCE.endpoints,
};

/**
 * ControllerHarness runs every controller on shared informers over a real etcd, without
 * workers: tests call reconcile themselves (or converge(), which reconciles every key until a
 * round writes nothing) and assert what was written. The node-lifecycle controller runs on a
 * clock the test moves.
 */
export class ControllerHarness {
  readonly client: EtcdClient;
  readonly store: ObjectStore;
  readonly events = new CollectingEventSink();
  readonly informers: SharedInformers;
  readonly replicaSets: ReplicaSetController;
  readonly deployments: DeploymentController;
  readonly nodeLifecycle: NodeLifecycleController;
  readonly gc: GarbageCollector;
  readonly endpointSlices: EndpointSliceController;
  readonly loadBalancers: LoadBalancerController;
  /** The node-lifecycle controller's clock, in ms. */
  clock = Date.parse('2026-01-01T00:00:00Z');
  private readonly all: ObjectCache[];

  constructor(readonly endpoint: string, nodeGracePeriodMs = 5000) {
    this.client = connectEtcd([endpoint]);
    this.store = new ObjectStore(this.client);
    const logger = silentLogger();
    this.informers = new SharedInformers(this.store, logger);
    const f = (r: string) => this.informers.forResource(r);
    this.replicaSets = new ReplicaSetController(this.store, f('replicasets'), f('pods'), this.events, logger);
    this.deployments = new DeploymentController(this.store, f('deployments'), f('replicasets'), this.events, logger);
    this.nodeLifecycle = new NodeLifecycleController(this.store, f('nodes'), f('leases'), f('pods'), this.events, logger, { gracePeriodMs: nodeGracePeriodMs, now: () => this.clock });
    this.gc = new GarbageCollector(this.store, GC_RESOURCES.map((r) => f(r.resource)), this.events, logger);
    this.endpointSlices = new EndpointSliceController(this.store, f('services'), f('pods'), f('endpointslices'), logger, {}, f('endpoints'));
    this.loadBalancers = new LoadBalancerController(this.store, f('services'), f('nodes'), logger);
    this.all = ['pods', 'replicasets', 'deployments', 'nodes', 'leases', 'services', 'endpointslices', 'endpoints'].map(f);
  }

  start(): Promise<void> {
    return this.informers.start();
  }

  /** close stops the informers and deletes every object, so the next test starts empty. */
  async close(): Promise<void> {
    this.informers.stop();
    for (const q of [this.replicaSets.queue, this.deployments.queue, this.nodeLifecycle.queue, this.gc.queue, this.endpointSlices.queue, this.loadBalancers.queue]) q.shutdown();
    await this.client.delete().prefix('/berth/');
    await this.client.delete().prefix('/berth-internal/');
    this.client.close();
  }

  /** caughtUp waits until every informer holds exactly what etcd holds. */
  async caughtUp(): Promise<void> {
    await eventually(async () => {
      for (const informer of this.all) {
        const { items } = await this.store.list(informer.info);
        const want = Object.fromEntries(items.map((o) => [cacheKey(o), o.metadata.resourceVersion]));
        const have = Object.fromEntries(informer.list().map((o) => [cacheKey(o), o.metadata.resourceVersion]));
        expect(have).to.deep.equal(want);
      }
    });
  }

  /**
   * converge reconciles Deployments, then ReplicaSets, then garbage, until a round writes nothing.
   * `afterPass` runs after each pass of the ReplicaSet controller, to check what pods exist then.
   */
  async converge(afterPass?: () => Promise<void>): Promise<void> {
    for (let round = 0; round < 30; round++) {
      await this.caughtUp();
      const before = await this.store.currentRevision();
      for (const o of this.informer('deployments').list()) await this.deployments.reconcile(cacheKey(o));
      await this.caughtUp();
      for (const o of this.informer('replicasets').list()) await this.replicaSets.reconcile(cacheKey(o));
      await this.caughtUp();
      await afterPass?.();
      for (const r of GC_RESOURCES) for (const o of this.informer(r.resource).list((x) => (x.metadata.ownerReferences ?? []).length > 0)) await this.gc.reconcile(gcKey(r, o));
      await this.caughtUp();
      if ((await this.store.currentRevision()) === before) return;
    }
    throw new Error('controllers did not converge in 30 rounds');
  }

  /** informer is the harness's own informer of a resource (it borrows none), to stop and start it. */
  informer(resource: string): Informer {
    return this.informers.forResource(resource) as Informer;
  }

  async list<T extends BerthObject>(info: ResourceInfo): Promise<T[]> {
    return (await this.store.list(info, 'default')).items as T[];
  }

  async get<T extends BerthObject>(info: ResourceInfo, name: string, namespace: string | undefined = 'default'): Promise<T> {
    return (await this.store.get(info, info.namespaced ? namespace : undefined, name)) as T;
  }

  /** createDeployment stores a Deployment as the API would: defaulted, with identity and generation 1. */
  async createDeployment(name: string, replicas: number, image = 'busybox:1.35', extra: Partial<Deployment['spec']> = {}): Promise<Deployment> {
    const d: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'default', labels: { app: name }, generation: 1, ...newIdentity() },
      spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } }, ...extra },
    };
    applyDefaults(d);
    return (await this.store.create(R.deployments, d)) as Deployment;
  }

  /** updateSpec changes a Deployment or ReplicaSet spec as the API does (generation + 1). */
  async updateSpec<T extends Deployment | ReplicaSet>(info: ResourceInfo, name: string, change: (o: T) => void): Promise<void> {
    await this.store.guaranteedUpdate(info, 'default', name, (current) => {
      change(current as T);
      current.metadata.generation = (current.metadata.generation ?? 0) + 1;
      return current;
    });
  }

  async createReplicaSet(name: string, replicas: number, labels: Record<string, string>): Promise<ReplicaSet> {
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: 'default', generation: 1, ...newIdentity() },
      spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'busybox:1.35' }] } } },
    };
    applyDefaults(rs);
    return (await this.store.create(R.replicasets, rs)) as ReplicaSet;
  }

  /** bind plays scheduler and agent: the pod lands on a node and reports Running, ready or not. */
  async bind(podName: string, nodeName: string, ready: boolean): Promise<void> {
    await this.store.guaranteedUpdate(R.pods, 'default', podName, (current) => {
      const pod = current as Pod;
      pod.spec.nodeName = nodeName;
      pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2026-01-01T00:00:00Z' }] };
      return pod;
    });
  }

  /**
   * readyAll plays the agents for every active pod that is not ready yet: bound to `nodeName`,
   * Running and Ready (since `since`). It returns how many pods it changed.
   */
  async readyAll(nodeName = 'node-a', since = '2026-01-01T00:00:00Z'): Promise<number> {
    const pending = activePods(await this.list<Pod>(R.pods)).filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True');
    for (const p of pending) {
      await this.store.guaranteedUpdate(R.pods, 'default', p.metadata.name, (current) => {
        const pod = current as Pod;
        pod.spec.nodeName ??= nodeName;
        pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }] };
        return pod;
      });
    }
    return pending.length;
  }

  /** finishTerminating plays the agents' FinishPodTermination: pods with a deletionTimestamp are removed. */
  async finishTerminating(): Promise<number> {
    const terminating = (await this.list<Pod>(R.pods)).filter((p) => p.metadata.deletionTimestamp);
    for (const p of terminating) await ignoreNotFound(this.store.delete(R.pods, 'default', p.metadata.name));
    return terminating.length;
  }

  /**
   * rollOut drives a rollout to its end as healthy agents would: converge, make the new pods
   * ready, let terminating pods finish, until nothing changes. `afterPass` is converge's.
   */
  async rollOut(afterPass?: () => Promise<void>): Promise<void> {
    for (let step = 0; step < 50; step++) {
      await this.converge(afterPass);
      const changed = (await this.readyAll()) + (await this.finishTerminating());
      if (changed === 0) return;
    }
    throw new Error('the rollout did not finish in 50 steps');
  }

  /** addNode registers a Ready node (with its InternalIP, when given) and its lease, as an agent does. */
  async addNode(name: string, internalIp?: string): Promise<void> {
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, ...newIdentity() },
      spec: {},
      status: {
        conditions: [{ type: 'Ready', status: 'True', reason: 'AgentReady', message: 'berth-agent is posting ready status' }],
        ...(internalIp ? { addresses: [{ type: 'InternalIP' as const, address: internalIp }] } : {}),
      },
    };
    await this.store.create(R.nodes, node);
    const lease: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, ...newIdentity() }, spec: { holderIdentity: name, leaseDurationSeconds: 5, renewTime: new Date(this.clock).toISOString() } };
    await this.store.create(R.leases, lease);
  }

  /** renewLease does what an agent's heartbeat does. */
  async renewLease(name: string): Promise<void> {
    await this.store.guaranteedUpdate(R.leases, undefined, name, (current) => {
      (current as Lease).spec.renewTime = new Date(this.clock).toISOString();
      return current;
    });
  }
}

export function ownedBy(o: BerthObject, owner: BerthObject): boolean {
  return (o.metadata.ownerReferences ?? []).some((r) => r.controller === true && r.uid === owner.metadata.uid);
}

export function activePods(pods: Pod[]): Pod[] {
  return pods.filter((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded');
}

/**
 * useControllerHarness registers what every controller suite needs: one real etcd for the suite,
 * a fresh harness (informers, controllers) for each test, both torn down also when a test fails.
 * `use` receives each new harness; the optional grace period goes to the node-lifecycle controller.
 */
export function useControllerHarness(use: (harness: ControllerHarness) => void, nodeGracePeriodMs?: number): void {
  let etcd: TestEtcd | undefined;
  let harness: ControllerHarness | undefined;
  before(async () => {
    etcd = await startTestEtcd();
  });
  beforeEach(async () => {
    harness = new ControllerHarness((etcd as TestEtcd).endpoint, nodeGracePeriodMs);
    use(harness);
    await harness.start();
  });
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });
  after(async () => {
    await etcd?.stop();
  });
}
