import type { Logger } from 'winston';
import { EventWriter } from '../events/event-writer.js';
import type { ObjectStore } from '../store/object-store.js';
import { LogProxy } from './log-proxy.js';
import { NodeEvents } from './node-events.js';
import { NodeHeartbeat } from './node-heartbeat.js';
import { NodePodIndex } from './node-pod-index.js';
import { NodeRegistration } from './node-registration.js';
import { PodStatusWriter } from './pod-status-writer.js';
import { ServiceFeed } from './service-feed.js';

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
  readonly services: ServiceFeed;
  readonly events: NodeEvents;
  readonly logs: LogProxy;

  /** `events` is the process's EventWriter, shared with the leader's controllers and scheduler. */
  constructor(readonly store: ObjectStore, logger: Logger, events: EventWriter = new EventWriter(store)) {
    this.registration = new NodeRegistration(store, logger);
    this.heartbeat = new NodeHeartbeat(store, logger);
    this.pods = new NodePodIndex(store, logger);
    // Status reports are planned on the pods the agents were sent: the same informer's copies.
    this.statuses = new PodStatusWriter(store, (key) => this.pods.cached(key));
    this.services = new ServiceFeed(store, logger);
    this.events = new NodeEvents(events, logger);
    this.logs = new LogProxy(store);
  }

  stop(): void {
    this.pods.stop();
    this.services.stop();
    this.logs.close();
  }
}
