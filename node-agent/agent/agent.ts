import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import { ImageStore } from '../image/index.js';
import { ProbeChecker } from '../probes/probe-checks.js';
import { BerthRuntime } from '../runtime/index.js';
import { agentApiHandlers, startAgentServer } from './agent-server.js';
import { NodeEventReporter } from './event-reporter.js';
import { ImagePuller } from './image-puller.js';
import { NodeClient } from './node-client.js';
import { nodeObject } from './node-info.js';
import { NodeLease } from './node-lease.js';
import type { AgentOptions } from './options.js';
import { podCgroupParent } from './pod-cgroup.js';
import { PodManager } from './pod-manager.js';
import { LoopbackPodNetwork } from './pod-network.js';
import { PodSource } from './pod-source.js';
import { PodStateStore } from './pod-state-store.js';
import { StatusReporter } from './status-reporter.js';

/**
 * Agent is one node agent (DESIGN.md section 1). Layout under --root: images/ (ImageStore),
 * runtime/ (BerthRuntime), pods/ (the last spec of each pod, PodStateStore).
 *
 * Lifecycle: start() adopts the pods and containers of an earlier agent from the state
 * directory and the runtime (they keep running and restarting even before the control plane
 * answers), serves AgentAPI, then registers, heartbeats and watches pods in the background.
 * stop() ends all of that WITHOUT stopping containers: they outlive the agent by design.
 */
export class Agent {
  private readonly client: NodeClient;
  private readonly lease: NodeLease;
  private readonly source: PodSource;
  private readonly pods: PodManager;
  private readonly runtime: BerthRuntime;
  private server: grpc.Server | undefined;
  agentPort = 0;

  constructor(private readonly options: AgentOptions, version: string, private readonly logger: Logger) {
    this.client = new NodeClient(options.server, options.name);
    this.runtime = new BerthRuntime({ root: join(options.root, 'runtime'), defaultCgroupParent: options.cgroupParent });
    const probes = new ProbeChecker(this.runtime);
    const images = new ImageStore({ root: join(options.root, 'images'), mirrors: options.mirrors, insecureRegistries: options.insecureRegistries, mirrorsOnly: options.mirrorsOnly });
    this.pods = new PodManager(
      {
        runtime: this.runtime,
        images: new ImagePuller(images),
        network: new LoopbackPodNetwork(),
        status: new StatusReporter(this.client, logger),
        events: new NodeEventReporter(this.client, logger),
        logger,
        hostIP: options.nodeIP,
        cgroupParentOf: (uid) => podCgroupParent(options.cgroupParent, uid),
        probe: (plan, target) => probes.check(plan, target),
      },
      this.runtime,
      new PodStateStore(options.root),
      logger,
    );
    this.lease = new NodeLease(
      this.client,
      () => nodeObject({ name: options.name, nodeIP: options.nodeIP, agentPort: this.agentPort, maxPods: options.maxPods, version, cgroupParent: options.cgroupParent }),
      logger,
    );
    this.source = new PodSource(this.client, this.pods, logger);
  }

  async start(): Promise<void> {
    await mkdir(this.options.root, { recursive: true, mode: 0o700 });
    await this.pods.start();
    const { server, port } = await startAgentServer(this.options.nodeIP, this.options.agentPort, agentApiHandlers(this.pods, this.runtime, this.logger));
    this.server = server;
    this.agentPort = port;
    this.logger.info('AgentAPI serving', { address: `${this.options.nodeIP}:${port}` });
    this.lease.start().then(
      () => this.source.start(),
      (err: unknown) => this.logger.error('registration stopped', { error: String(err) }),
    );
  }

  /** Ends the agent's own work; containers keep running. */
  async stop(): Promise<void> {
    this.source.stop();
    this.lease.stop();
    this.client.close();
    this.server?.forceShutdown();
  }
}
