import type { Logger } from 'winston';
import type { Node } from '../../proto/objects/cluster.js';
import { RESOURCE } from '../../proto/resources.js';
import type { TlsMaterial } from '../../proto/security/tls-credentials.js';
import { EventWriter } from '../events/event-writer.js';
import type { ObjectStore } from '../store/object-store.js';
import { AgentProxy } from './agent-proxy.js';
import { NodeEvents } from './node-events.js';
import { NodeConfigFeed } from './node-config-feed.js';
import { NodeHeartbeat } from './node-heartbeat.js';
import { NodePodIndex } from './node-pod-index.js';
import { NodeRegistration } from './node-registration.js';
import { PodStatusWriter } from './pod-status-writer.js';
import { ProxySyncTracker } from './proxy-sync-tracker.js';
import { ResourceFeed } from './resource-feed.js';

/**
 * NodeService is used to hold the control plane's side of its agents (NodeAPI, and the agent
 * proxy of ClusterAPI.Logs and Exec): one instance per control-plane replica. Lifecycle: made at start,
 * its shared informers start on first use; stop() ends them.
 */
export class NodeService {
  readonly registration: NodeRegistration;
  readonly heartbeat: NodeHeartbeat;
  readonly pods: NodePodIndex;
  readonly statuses: PodStatusWriter;
  /** Services and EndpointSlices, for every node's service proxy and DNS. */
  readonly services: ResourceFeed;
  /** Nodes, for every node's routes to the others' pod CIDRs. */
  readonly nodeFeed: ResourceFeed;
  /** The ConfigMaps and Secrets each node's pods refer to, and only those. */
  readonly configs: NodeConfigFeed;
  readonly events: NodeEvents;
  readonly agents: AgentProxy;
  /** Each node's proxy sync, for drain before kill (ReportProxySync, WaitEndpointsDrained). */
  readonly proxySync: ProxySyncTracker;

  /**
   * `events` is the process's EventWriter, shared with the leader's controllers and scheduler;
   * `tls` the control plane's credentials, which it presents to agents (logs, exec).
   */
  constructor(readonly store: ObjectStore, logger: Logger, events: EventWriter, tls: TlsMaterial) {
    this.registration = new NodeRegistration(store, logger);
    this.pods = new NodePodIndex(store, logger);
    // Status reports are planned on the pods the agents were sent: the same informer's copies.
    this.statuses = new PodStatusWriter(store, (key) => this.pods.cached(key));
    this.services = new ResourceFeed(store, logger, [RESOURCE.services, RESOURCE.endpointslices]);
    this.nodeFeed = new ResourceFeed(store, logger, [RESOURCE.nodes]);
    this.configs = new NodeConfigFeed(store, this.pods, logger);
    // Heartbeats judge each node on the copy WatchNodes sends, rather than a read per beat.
    this.heartbeat = new NodeHeartbeat(store, logger, { start: () => this.nodeFeed.start(), get: (name) => this.nodeFeed.cached(name) as Node | undefined });
    this.events = new NodeEvents(events, logger);
    this.agents = new AgentProxy(store, tls);
    this.proxySync = new ProxySyncTracker(this.services, this.nodeFeed, logger);
  }

  stop(): void {
    this.proxySync.stop();
    this.pods.stop();
    this.services.stop();
    this.nodeFeed.stop();
    this.configs.stop();
    this.agents.close();
  }
}
