/**
 * Raw generated gRPC clients for tests that call ClusterAPI or NodeAPI directly (below the CLI's
 * ClusterClient and the agent's NodeClient), with credentials of the test CA: an admin for
 * ClusterAPI, the named node for NodeAPI, as the real callers have.
 */
import type * as grpc from '@grpc/grpc-js';
import type { ClusterAPIClient } from '../../proto/generated/berth/v1/ClusterAPI.js';
import type { NodeAPIClient } from '../../proto/generated/berth/v1/NodeAPI.js';
import { loadBerthProto } from '../../proto/grpc.js';
import { CONTROL_PLANE_SERVER_NAME, channelCredentials, channelOptionsFor } from '../../proto/security/tls-credentials.js';
import type { CallerIdentity } from '../../proto/security/identity.js';
import { testAdmin, testCredentials } from './test-pki.js';

/** A ClusterAPI client of `server` acting as the test admin. */
export async function rawClusterApi(server: string, options: grpc.ChannelOptions = {}): Promise<ClusterAPIClient> {
  return new (loadBerthProto().berth.v1.ClusterAPI)(server, channelCredentials(await testAdmin()), { ...channelOptionsFor(CONTROL_PLANE_SERVER_NAME), ...options }) as unknown as ClusterAPIClient;
}

/** A NodeAPI client of `server` acting as node `nodeName` (with that node's certificate). */
export async function rawNodeApi(server: string, nodeName: string): Promise<NodeAPIClient> {
  return new (loadBerthProto().berth.v1.NodeAPI)(server, channelCredentials(await testCredentials({ kind: 'node', nodeName })), channelOptionsFor(CONTROL_PLANE_SERVER_NAME)) as unknown as NodeAPIClient;
}

/** A NodeAPI client of `server` acting as `identity` (an admin may speak for any node; others are refused what is not theirs). */
export async function rawNodeApiAs(server: string, identity: CallerIdentity): Promise<NodeAPIClient> {
  return new (loadBerthProto().berth.v1.NodeAPI)(server, channelCredentials(await testCredentials(identity)), channelOptionsFor(CONTROL_PLANE_SERVER_NAME)) as unknown as NodeAPIClient;
}

/** Channel credentials and options of the test admin, for a generic grpc.Client. */
export async function adminChannel(): Promise<{ credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions }> {
  return { credentials: channelCredentials(await testAdmin()), options: channelOptionsFor(CONTROL_PLANE_SERVER_NAME) };
}
