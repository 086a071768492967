import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import type { Node } from '../../proto/objects/cluster.js';
import { StreamedConfigObjects } from '../config/streamed-config-objects.js';
import { ImageStore } from '../image/index.js';
import { CniPodNetwork } from '../network/cni-pod-network.js';
import { agentRunner } from '../network/commands.js';
import { LoopbackPodNetwork } from '../network/loopback-pod-network.js';
import { NodeNetwork } from '../network/node-network.js';
import { NodeRoutes } from '../network/node-routes.js';
import type { PodNetwork } from '../network/pod-network.js';
import { RouteTable } from '../network/route-table.js';
import { ProbeChecker } from '../probes/probe-checks.js';
import { BerthRuntime } from '../runtime/index.js';
import { HostMounter } from '../runtime/mounter.js';
import { PodIdRanges } from '../userns/id-ranges.js';
import { NodeVolumes } from '../volumes/node-volumes.js';
import { VolumeDirs } from '../volumes/volume-dirs.js';
import type { TlsMaterial } from '../../proto/security/tls-credentials.js';
import { onlyControlPlane } from './agent-callers.js';
import { agentApiHandlers, startAgentServer } from './agent-server.js';
import { NodeEventReporter } from './event-reporter.js';
import { ImagePuller } from './image-puller.js';
import { NodeClient } from './node-client.js';
import { capacity, nodeObject } from './node-info.js';
import { NodeLease } from './node-lease.js';
import type { AgentOptions } from './options.js';
import { podCgroupParent } from './pod-cgroup.js';
import { ListWatch } from '../watch/list-watch.js';
import { PodIpc } from './pod-ipc.js';
import { PodManager } from './pod-manager.js';
import { PodSource } from './pod-source.js';
import { PodStateStore } from './pod-state-store.js';
import { ServiceDiscovery } from './service-discovery.js';
import { StatusReporter } from './status-reporter.js';

/** The node-wide half of the CNI pod network: pod CIDR and masquerade, and the routes to other nodes fed by the Node watch. */
interface NodeNetworking {
  network: NodeNetwork;
  routes: NodeRoutes;
  nodes: ListWatch<Node>;
}

/**
 * Agent is one node agent. Layout under --root: images/ (ImageStore),
 * runtime/ (BerthRuntime), pods/ (the last spec of each pod, PodStateStore), network/ (the pod
 * CIDR, CNI attachment records, host-local's leases), resolv/ (the resolv.conf files containers
 * get, ServiceDiscovery), volumes/ (each pod's volume directories, VolumeDirs), userns/ (the
 * host id ranges of pods with hostUsers: false, PodIdRanges).
 *
 * Lifecycle: start() adopts the pods and containers of an earlier agent from the state
 * directory and the runtime (they keep running and restarting even before the control plane
 * answers), serves AgentAPI, then registers, heartbeats and watches pods and nodes in the
 * background. stop() ends all of that WITHOUT stopping containers: they outlive the agent by
 * design.
 */
export class Agent {
  private readonly client: NodeClient;
  private readonly lease: NodeLease;
  private readonly source: PodSource;
  private readonly pods: PodManager;
  private readonly runtime: BerthRuntime;
  private readonly networking: NodeNetworking | undefined;
  private readonly services: ServiceDiscovery;
  private readonly configs: StreamedConfigObjects;
  private server: grpc.Server | undefined;
  agentPort = 0;

  /** `tls` is the node's credentials (loadNodeTls of --tls-dir): for NodeAPI calls and for serving AgentAPI. */
  constructor(private readonly options: AgentOptions, version: string, private readonly logger: Logger, private readonly tls: TlsMaterial) {
    this.client = new NodeClient(options.server, options.name, tls);
    this.runtime = new BerthRuntime({
      root: join(options.root, 'runtime'),
      defaultCgroupParent: options.cgroupParent,
      logRotation: { maxBytes: options.containerLogMaxSize, maxFiles: options.containerLogMaxFiles },
    });
    this.services = new ServiceDiscovery(
      { root: options.root, clusterDomain: options.clusterDomain, ...(options.clusterDNS ? { clusterDNS: options.clusterDNS } : {}), dns: options.dns, proxy: options.serviceProxy, resolvConf: options.resolvConf },
      this.client,
      logger,
    );
    const probes = new ProbeChecker(this.runtime);
    this.configs = new StreamedConfigObjects(logger, () => this.client.watchConfigObjects());
    const images = new ImageStore({ root: join(options.root, 'images'), mirrors: options.mirrors, insecureRegistries: options.insecureRegistries, mirrorsOnly: options.mirrorsOnly, layerLimits: options.layerLimits });
    let network: PodNetwork = new LoopbackPodNetwork();
    if (options.podNetwork === 'cni') {
      const stateDir = join(options.root, 'network');
      const pods = new CniPodNetwork({ stateDir, run: agentRunner, logger, binDir: options.cniBinDir, poolSize: options.podSandboxPool });
      const routes = new NodeRoutes(options.name, new RouteTable(agentRunner), logger);
      this.networking = {
        network: new NodeNetwork({ stateDir, clusterCIDR: options.clusterCIDR, serviceCIDR: options.serviceCIDR, run: agentRunner, pods, logger }),
        routes,
        nodes: new ListWatch('node watch', () => this.client.watchNodes(), routes, logger),
      };
      network = pods;
    }
    // The node's allocatable, read once: the downward API gives it for a container's unset limits.
    let allocatable: Promise<{ cpu: string; memory: string }> | undefined;
    this.pods = new PodManager(
      {
        runtime: this.runtime,
        images: new ImagePuller(images),
        network,
        ipc: new PodIpc(join(options.root, 'ipc')),
        status: new StatusReporter(this.client, logger),
        events: new NodeEventReporter(this.client, logger),
        logger,
        hostIP: options.nodeIP,
        allocatable: () => (allocatable ??= capacity(options.cgroupParent, options.maxPods).then((c) => ({ cpu: c.cpu ?? '0', memory: c.memory ?? '0' }))),
        cgroupParentOf: (uid) => podCgroupParent(options.cgroupParent, uid),
        extras: this.services.extras,
        probe: (plan, target) => probes.check(plan, target),
        runAction: (action, target, timeoutMs) => probes.run(action, target, timeoutMs),
        control: this.client,
        configs: this.configs,
        volumes: new NodeVolumes(new VolumeDirs(options.root, new HostMounter()), this.configs),
        idRanges: new PodIdRanges(options.root, options.usernsIds),
      },
      this.runtime,
      new PodStateStore(options.root),
      logger,
    );
    const podCIDR = (): { podCIDR?: string } => {
      const known = this.networking?.network.podCIDR;
      return known ? { podCIDR: known } : {};
    };
    this.lease = new NodeLease(
      this.client,
      () => nodeObject({ name: options.name, nodeIP: options.nodeIP, agentPort: this.agentPort, maxPods: options.maxPods, version, cgroupParent: options.cgroupParent, ...podCIDR() }),
      logger,
      async (cidr) => {
        await this.networking?.network.configure(cidr);
      },
    );
    this.source = new PodSource(this.client, this.pods, logger);
  }

  async start(): Promise<void> {
    await mkdir(this.options.root, { recursive: true, mode: 0o700 });
    // The pod CIDR an earlier agent kept: adopted pods stay attached before the control plane answers.
    await this.networking?.network.start();
    await this.services.restore();
    await this.pods.start();
    const { server, port } = await startAgentServer(this.options.nodeIP, this.options.agentPort, this.tls, onlyControlPlane(agentApiHandlers(this.pods, this.runtime, this.logger), this.logger));
    this.server = server;
    this.agentPort = port;
    this.logger.info('AgentAPI serving', { address: `${this.options.nodeIP}:${port}` });
    this.lease.start().then(
      async () => {
        this.source.start();
        this.configs.start();
        this.networking?.nodes.start();
        await this.services.start(this.lease.podCIDR);
      },
      (err: unknown) => this.logger.error('registration stopped', { error: String(err) }),
    ).catch((err: unknown) => this.logger.error('service discovery failed to start', { error: String(err) }));
  }

  /** Ends the agent's own work; containers keep running. */
  async stop(): Promise<void> {
    this.source.stop();
    this.configs.stop();
    this.networking?.nodes.stop();
    this.networking?.routes.stop();
    this.networking?.network.stop();
    this.services.stop();
    this.lease.stop();
    this.client.close();
    this.server?.forceShutdown();
  }
}
