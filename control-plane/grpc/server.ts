import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import { GRPC_MAX_MESSAGE_BYTES, loadBerthProto } from '../../proto/grpc.js';
import { serverCredentials, type TlsMaterial } from '../../proto/security/tls-credentials.js';
import type { NodeOperations } from '../api/node-operations.js';
import type { ObjectService } from '../api/object-service.js';
import type { NodeService } from '../nodes/node-service.js';
import type { NodeCertificateIssuer } from '../bootstrap/node-certificates.js';
import { authorizeClusterApi, authorizeNodeApi } from './authorized-service.js';
import { clusterApiHandlers } from './cluster-api.js';
import { nodeApiHandlers } from './node-api.js';
import { refuseMalformed } from './malformed-requests.js';

/**
 * startGrpcServer binds ClusterAPI (and NodeAPI, when this replica serves nodes) on `listen`
 * (host:port) and resolves with the bound port. It serves TLS only, with `tls`'s certificate, and
 * requires every caller to present a client certificate issued by the cluster CA. Every call is
 * authorized by that certificate's identity before a handler sees it (authorized-service.ts).
 * `certificates` renews node certificates (NodeAPI.RenewNodeCertificate); absent without the CA key.
 */
export async function startGrpcServer(listen: string, tls: TlsMaterial, service: ObjectService, nodeOps: NodeOperations, logger: Logger, nodes?: NodeService, certificates?: NodeCertificateIssuer): Promise<{ server: grpc.Server; port: number }> {
  const proto = loadBerthProto();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': GRPC_MAX_MESSAGE_BYTES });
  const clusterApi = proto.berth.v1.ClusterAPI.service;
  server.addService(...refuseMalformed(clusterApi, authorizeClusterApi(clusterApi, clusterApiHandlers(service, nodeOps, logger, nodes), logger)));
  const nodeApi = proto.berth.v1.NodeAPI.service;
  if (nodes) server.addService(...refuseMalformed(nodeApi, authorizeNodeApi(nodeApi, nodeApiHandlers(nodes, logger, certificates), nodes, logger)));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, serverCredentials(tls), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}
