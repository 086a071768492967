import type { Logger } from 'winston';
import type { ObjectStore } from '../store/object-store.js';
import { LogProxy } from './log-proxy.js';
import { NodeEvents } from './node-events.js';
import { NodeHeartbeat } from './node-heartbeat.js';
import { NodePodIndex } from './node-pod-index.js';
import { NodeRegistration } from './node-registration.js';
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
  readonly services: ServiceFeed;
  readonly events: NodeEvents;
  readonly logs: LogProxy;

  constructor(readonly store: ObjectStore, logger: Logger) {
    this.registration = new NodeRegistration(store, logger);
    this.heartbeat = new NodeHeartbeat(store, logger);
    this.pods = new NodePodIndex(store, logger);
    this.services = new ServiceFeed(store, logger);
    this.events = new NodeEvents(store, logger);
    this.logs = new LogProxy(store);
  }

  stop(): void {
    this.pods.stop();
    this.services.stop();
    this.logs.close();
  }
}
