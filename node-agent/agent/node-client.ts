import * as grpc from '@grpc/grpc-js';
import type { NodeAPIClient } from '../../proto/generated/berth/v1/NodeAPI.js';
import type { RecordEventsReply__Output } from '../../proto/generated/berth/v1/RecordEventsReply.js';
import type { UpdatePodStatusesReply__Output } from '../../proto/generated/berth/v1/UpdatePodStatusesReply.js';
import type { WaitEndpointsDrainedReply__Output } from '../../proto/generated/berth/v1/WaitEndpointsDrainedReply.js';
import type { WatchEvent__Output } from '../../proto/generated/berth/v1/WatchEvent.js';
import { GRPC_MAX_MESSAGE_BYTES, loadBerthProto } from '../../proto/grpc.js';
import type { Event, Node } from '../../proto/objects/cluster.js';
import { CONTROL_PLANE_SERVER_NAME, channelCredentials, channelOptionsFor, type TlsMaterial } from '../../proto/security/tls-credentials.js';

/** How long one unary NodeAPI call may take before the agent treats the control plane as unreachable. */
const CALL_TIMEOUT_MS = 5_000;

/** isNotFound tells whether a NodeAPI call failed because the object (or this pod instance) is gone. */
export function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === grpc.status.NOT_FOUND;
}

/** isUnimplemented tells whether the control plane does not serve the RPC (an older control plane). */
export function isUnimplemented(err: unknown): boolean {
  return (err as { code?: number }).code === grpc.status.UNIMPLEMENTED;
}

/** The codes after which the same call may succeed later: the control plane was away, busy or slow. */
const TRANSIENT = new Set<number>([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED, grpc.status.ABORTED, grpc.status.INTERNAL, grpc.status.UNKNOWN]);

/** isTransient tells whether a NodeAPI call failed in a way that retrying may cure. */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: number }).code;
  return code === undefined || TRANSIENT.has(code);
}

/** PodRef is used to name one pod instance in termination calls. */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/**
 * NodeClient is used by the agent for every call to the control plane's NodeAPI, typed and with
 * deadlines. It speaks TLS with the node's certificate (`tls`) and accepts only a server whose
 * certificate the cluster CA issued to a control plane. It reconnects quickly (200 ms, at most
 * 2 s between attempts) so that a control plane that comes back is noticed within a couple of seconds.
 */
export class NodeClient {
  private readonly client: NodeAPIClient;

  constructor(server: string, readonly nodeName: string, tls: TlsMaterial) {
    const proto = loadBerthProto();
    this.client = new proto.berth.v1.NodeAPI(server, channelCredentials(tls), {
      ...channelOptionsFor(CONTROL_PLANE_SERVER_NAME),
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

  /** updatePodStatuses sends many statuses (already serialized) in one call; one result per update, in order. */
  async updatePodStatuses(updates: Array<{ namespace: string; name: string; uid: string; statusJson: string }>): Promise<Array<{ code: number; message: string }>> {
    const reply = await this.unary<UpdatePodStatusesReply__Output>((cb) =>
      this.client.UpdatePodStatuses({ node_name: this.nodeName, updates: updates.map((u) => ({ namespace: u.namespace, name: u.name, uid: u.uid, status_json: u.statusJson })) }, this.deadline(), cb),
    );
    if (reply.results.length !== updates.length) throw new Error(`UpdatePodStatuses answered ${reply.results.length} results for ${updates.length} updates`);
    return reply.results;
  }

  /** recordEvents records many events in one call; returns the problems of those refused. */
  async recordEvents(events: Array<Partial<Event>>): Promise<string[]> {
    const reply = await this.unary<RecordEventsReply__Output>((cb) => this.client.RecordEvents({ node_name: this.nodeName, events_json: events.map((e) => JSON.stringify(e)) }, this.deadline(), cb));
    return reply.problems;
  }

  /** finishPodTermination tells the control plane that every container of the terminating pod has stopped and its network is released: the pod object goes. */
  async finishPodTermination(pod: PodRef): Promise<void> {
    await this.unary((cb) => this.client.FinishPodTermination({ node_name: this.nodeName, ...pod }, this.deadline(), cb));
  }

  /** reportProxySync tells the control plane that this node's service proxy rules include every WatchServices event up to `resourceVersion`. */
  async reportProxySync(resourceVersion: string): Promise<void> {
    await this.unary((cb) => this.client.ReportProxySync({ node_name: this.nodeName, resource_version: resourceVersion }, this.deadline(), cb));
  }

  /**
   * waitEndpointsDrained returns once no Ready node's proxy sends new connections to the pod, or
   * `timeoutMs` passed (then `drained` is false). The call's own deadline allows for the wait.
   */
  async waitEndpointsDrained(pod: PodRef, timeoutMs: number): Promise<{ drained: boolean; message: string }> {
    const reply = await this.unary<WaitEndpointsDrainedReply__Output>((cb) =>
      this.client.WaitEndpointsDrained({ node_name: this.nodeName, ...pod, timeout_ms: timeoutMs }, { deadline: Date.now() + timeoutMs + CALL_TIMEOUT_MS }, cb),
    );
    return { drained: reply.drained, message: reply.message };
  }

  /** watchPods opens the stream of this node's pods (see NodeAPI.WatchPods); the caller reconnects. */
  watchPods(): grpc.ClientReadableStream<WatchEvent__Output> {
    return this.client.WatchPods({ node_name: this.nodeName });
  }

  /** watchNodes opens the stream of every Node (see NodeAPI.WatchNodes); the caller reconnects. */
  watchNodes(): grpc.ClientReadableStream<WatchEvent__Output> {
    return this.client.WatchNodes({ node_name: this.nodeName });
  }

  /** watchServices opens the stream of every Service and EndpointSlice (see NodeAPI.WatchServices); the caller reconnects. */
  watchServices(): grpc.ClientReadableStream<WatchEvent__Output> {
    return this.client.WatchServices({ node_name: this.nodeName });
  }

  /** watchConfigObjects opens the stream of the ConfigMaps and Secrets this node's pods refer to (see NodeAPI.WatchConfigObjects); the caller reconnects. */
  watchConfigObjects(): grpc.ClientReadableStream<WatchEvent__Output> {
    return this.client.WatchConfigObjects({ node_name: this.nodeName });
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
