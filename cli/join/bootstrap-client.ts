import * as grpc from '@grpc/grpc-js';
import type { NodeCertificateReply__Output } from '../../proto/generated/berth/v1/NodeCertificateReply.js';
import { loadBerthProto } from '../../proto/grpc.js';
import { CONTROL_PLANE_SERVER_NAME, channelOptionsFor } from '../../proto/security/tls-credentials.js';
import { CliError } from '../errors.js';

const JOIN_TIMEOUT_MS = 30_000;

/** The certificate a join was given, and where the node's agent talks to the control plane. */
export interface JoinedNode {
  certificatePem: string;
  caPem: string;
  nodeApiPort: number;
}

/**
 * requestJoin calls BootstrapAPI.JoinNode at `server`, verifying the server against `caPem` (the
 * CA discovery pinned): from here on nothing unverified is believed. A refusal is a CliError with
 * the control plane's reason.
 */
export async function requestJoin(server: string, caPem: string, request: { token: string; nodeName: string; csrPem: string }): Promise<JoinedNode> {
  const proto = loadBerthProto();
  const client = new proto.berth.v1.BootstrapAPI(server, grpc.credentials.createSsl(Buffer.from(caPem)), channelOptionsFor(CONTROL_PLANE_SERVER_NAME));
  try {
    const reply = await new Promise<NodeCertificateReply__Output>((resolve, reject) =>
      client.JoinNode({ token: request.token, node_name: request.nodeName, csr_pem: request.csrPem }, { deadline: Date.now() + JOIN_TIMEOUT_MS }, (err, res) => (err || !res ? reject(err ?? new Error('no reply')) : resolve(res))),
    );
    return { certificatePem: reply.certificate_pem, caPem: reply.ca_pem, nodeApiPort: reply.node_api_port };
  } catch (err) {
    const e = err as Partial<grpc.ServiceError>;
    const reason = e.details || e.message || String(err);
    throw new CliError(`the control plane at ${server} refused the join: ${reason}; nothing was written`);
  } finally {
    client.close();
  }
}
