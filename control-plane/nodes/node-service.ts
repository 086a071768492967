import type { Logger } from 'winston';
import { RESOURCE } from '../../proto/resources.js';
import { EventWriter } from '../events/event-writer.js';
import type { ObjectStore } from '../store/object-store.js';
import { LogProxy } from './log-proxy.js';
import { NodeEvents } from './node-events.js';
import { NodeHeartbeat } from './node-heartbeat.js';
import { NodePodIndex } from './node-pod-index.js';
import { NodeRegistration } from './node-registration.js';
import { PodStatusWriter } from './pod-status-writer.js';
import { ResourceFeed } from './resource-feed.js';

/**
 * NodeService is used to hold the control plane's side of its agents (NodeAPI and the log
 * proxy of ClusterAPI.Logs): one instance per control-plane replica. Lifecycle: made at start,
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
  readonly events: NodeEvents;
  readonly logs: LogProxy;

  /** `events` is the process's EventWriter, shared with the leader's controllers and scheduler. */
  constructor(readonly store: ObjectStore, logger: Logger, events: EventWriter = new EventWriter(store)) {
    this.registration = new NodeRegistration(store, logger);
    this.heartbeat = new NodeHeartbeat(store, logger);
    this.pods = new NodePodIndex(store, logger);
    // Status reports are planned on the pods the agents were sent: the same informer's copies.
    this.statuses = new PodStatusWriter(store, (key) => this.pods.cached(key));
    this.services = new ResourceFeed(store, logger, [RESOURCE.services, RESOURCE.endpointslices]);
    this.nodeFeed = new ResourceFeed(store, logger, [RESOURCE.nodes]);
    this.events = new NodeEvents(events, logger);
    this.logs = new LogProxy(store);
  }

  stop(): void {
    this.pods.stop();
    this.services.stop();
    this.nodeFeed.stop();
    this.logs.close();
  }
}
