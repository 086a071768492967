import * as grpc from '@grpc/grpc-js';
import type { NodeAPIClient } from '../../proto/generated/berth/v1/NodeAPI.js';
import type { WatchEvent__Output } from '../../proto/generated/berth/v1/WatchEvent.js';
import { GRPC_MAX_MESSAGE_BYTES, loadBerthProto } from '../../proto/grpc.js';
import type { Event, Node } from '../../proto/objects/cluster.js';

/** How long one unary NodeAPI call may take before the agent treats the control plane as unreachable. */
const CALL_TIMEOUT_MS = 5_000;

/** isNotFound tells whether a NodeAPI call failed because the object (or this pod instance) is gone. */
export function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === grpc.status.NOT_FOUND;
}

/**
 * NodeClient is used by the agent for every call to the control plane's NodeAPI, typed and with
 * deadlines. It reconnects quickly (200 ms, at most 2 s between attempts) so that a control
 * plane that comes back is noticed within a couple of seconds.
 */
export class NodeClient {
  private readonly client: NodeAPIClient;

  constructor(server: string, readonly nodeName: string) {
    const proto = loadBerthProto();
    this.client = new proto.berth.v1.NodeAPI(server, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
    }) as unknown as NodeAPIClient;
  }

  async register(node: Node): Promise<{ node: Node; podCIDR: string }> {
    const reply = await this.unary<{ node_json: string; pod_cidr: string }>((cb) => this.client.Register({ node_json: JSON.stringify(node) }, this.deadline(), cb));
    return { node: JSON.parse(reply.node_json) as Node, podCIDR: reply.pod_cidr };
  }

  async heartbeat(): Promise<void> {
    await this.unary((cb) => this.client.Heartbeat({ node_name: this.nodeName }, this.deadline(), cb));
  }

  /** updatePodStatus sends a pod's status already serialized (the status reporter compares that text, so it serializes once). */
  async updatePodStatus(pod: { namespace: string; name: string; uid: string }, statusJson: string): Promise<void> {
    await this.unary((cb) =>
      this.client.UpdatePodStatus({ node_name: this.nodeName, namespace: pod.namespace, name: pod.name, uid: pod.uid, status_json: statusJson }, this.deadline(), cb),
    );
  }

  async recordEvent(event: Partial<Event>): Promise<void> {
    await this.unary((cb) => this.client.RecordEvent({ node_name: this.nodeName, event_json: JSON.stringify(event) }, this.deadline(), cb));
  }

  /** watchPods opens the stream of this node's pods (see NodeAPI.WatchPods); the caller reconnects. */
  watchPods(): grpc.ClientReadableStream<WatchEvent__Output> {
    return this.client.WatchPods({ node_name: this.nodeName });
  }

  close(): void {
    this.client.close();
  }

  private deadline(): grpc.CallOptions {
    return { deadline: Date.now() + CALL_TIMEOUT_MS };
  }

  private unary<T>(call: (cb: (err: grpc.ServiceError | null, res?: T) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => call((err, res) => (err ? reject(err) : resolve(res as T))));
  }
}
