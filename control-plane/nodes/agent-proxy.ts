import * as grpc from '@grpc/grpc-js';
import type { AgentAPIClient } from '../../proto/generated/berth/v1/AgentAPI.js';
import type { ExecInput } from '../../proto/generated/berth/v1/ExecInput.js';
import type { ExecOutput__Output } from '../../proto/generated/berth/v1/ExecOutput.js';
import type { LogChunk__Output } from '../../proto/generated/berth/v1/LogChunk.js';
import type { LogsRequest } from '../../proto/generated/berth/v1/LogsRequest.js';
import { GRPC_MAX_MESSAGE_BYTES, loadBerthProto } from '../../proto/grpc.js';
import type { Node } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE, DEFAULT_NAMESPACE } from '../../proto/resources.js';
import { channelCredentials, channelOptionsFor, type TlsMaterial } from '../../proto/security/tls-credentials.js';
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
 * AgentProxy is used by ClusterAPI.Logs and ClusterAPI.Exec: finds the pod's node and opens
 * the stream on that node's AgentAPI. The control plane presents its own certificate and accepts
 * only an agent whose certificate names the pod's node (its DNS name), so an address that now
 * belongs to another node, or a machine posing as the node, gets no logs and no commands.
 * Clients are kept per node and address (one HTTP/2 connection per agent).
 */
export class AgentProxy {
  private readonly clients = new Map<string, AgentAPIClient>();
  private readonly credentials: ReturnType<typeof channelCredentials>;

  constructor(private readonly store: ObjectStore, tls: TlsMaterial) {
    this.credentials = channelCredentials(tls);
  }

  /** Opens the agent's log stream; NotFoundError for an unknown pod, InvalidError for an unscheduled one. */
  async logs(request: LogsRequest): Promise<grpc.ClientReadableStream<LogChunk__Output>> {
    const namespace = request.namespace || DEFAULT_NAMESPACE;
    const client = await this.agentOf(namespace, request.pod ?? '', 'logs');
    return client.Logs({ ...request, namespace });
  }

  /**
   * Opens an exec stream on the agent of pod namespace/name; the caller writes the start message
   * and the rest. Errors as for logs.
   */
  async exec(namespace: string, pod: string): Promise<grpc.ClientDuplexStream<ExecInput, ExecOutput__Output>> {
    const client = await this.agentOf(namespace || DEFAULT_NAMESPACE, pod, 'exec');
    return client.Exec();
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  /** The AgentAPI client of the node pod namespace/name is bound to; `what` names the request for errors. */
  private async agentOf(namespace: string, name: string, what: string): Promise<AgentAPIClient> {
    const pod = (await this.store.get(pods, namespace, name)) as Pod;
    const nodeName = pod.spec.nodeName;
    if (!nodeName) throw new InvalidError(`pod ${namespace}/${pod.metadata.name} is not scheduled to a node yet: no ${what}`);
    const node = (await this.store.get(nodes, undefined, nodeName)) as Node;
    const address = agentAddress(node);
    if (!address) throw new InvalidError(`node ${nodeName} does not say where its agent serves ${what} (status.daemonEndpoints)`);
    return this.client(nodeName, address);
  }

  private client(nodeName: string, address: string): AgentAPIClient {
    const key = `${nodeName} ${address}`;
    let client = this.clients.get(key);
    if (!client) {
      const proto = loadBerthProto();
      client = new proto.berth.v1.AgentAPI(address, this.credentials, {
        ...channelOptionsFor(nodeName),
        'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES,
      }) as unknown as AgentAPIClient;
      this.clients.set(key, client);
    }
    return client;
  }
}
