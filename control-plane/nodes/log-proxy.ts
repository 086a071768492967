import * as grpc from '@grpc/grpc-js';
import type { AgentAPIClient } from '../../proto/generated/berth/v1/AgentAPI.js';
import type { LogChunk__Output } from '../../proto/generated/berth/v1/LogChunk.js';
import type { LogsRequest } from '../../proto/generated/berth/v1/LogsRequest.js';
import { GRPC_MAX_MESSAGE_BYTES, loadBerthProto } from '../../proto/grpc.js';
import type { Node } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE, DEFAULT_NAMESPACE } from '../../proto/resources.js';
import { InvalidError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';

const pods = RESOURCE.pods;
const nodes = RESOURCE.nodes;

/** agentAddress is where a node's agent serves AgentAPI: its InternalIP and daemonEndpoints port. */
export function agentAddress(node: Node): string | undefined {
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const port = node.status?.daemonEndpoints?.agentEndpoint?.Port;
  return ip && port ? `${ip.includes(':') ? `[${ip}]` : ip}:${port}` : undefined;
}

/**
 * LogProxy is used by ClusterAPI.Logs: finds the pod's node and opens the log stream on that
 * node's AgentAPI. Clients are kept per address (one HTTP/2 connection per agent).
 */
export class LogProxy {
  private readonly clients = new Map<string, AgentAPIClient>();

  constructor(private readonly store: ObjectStore) {}

  /** Opens the agent's stream; NotFoundError for an unknown pod, InvalidError for an unscheduled one. */
  async open(request: LogsRequest): Promise<grpc.ClientReadableStream<LogChunk__Output>> {
    const namespace = request.namespace || DEFAULT_NAMESPACE;
    const pod = (await this.store.get(pods, namespace, request.pod ?? '')) as Pod;
    const nodeName = pod.spec.nodeName;
    if (!nodeName) throw new InvalidError(`pod ${namespace}/${pod.metadata.name} is not scheduled to a node yet: no logs`);
    const node = (await this.store.get(nodes, undefined, nodeName)) as Node;
    const address = agentAddress(node);
    if (!address) throw new InvalidError(`node ${nodeName} does not say where its agent serves logs (status.daemonEndpoints)`);
    return this.client(address).Logs({ ...request, namespace });
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private client(address: string): AgentAPIClient {
    let client = this.clients.get(address);
    if (!client) {
      const proto = loadBerthProto();
      client = new proto.berth.v1.AgentAPI(address, grpc.credentials.createInsecure(), {
        'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES,
      }) as unknown as AgentAPIClient;
      this.clients.set(address, client);
    }
    return client;
  }
}
