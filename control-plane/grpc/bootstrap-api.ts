import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import type { BootstrapAPIHandlers } from '../../proto/generated/berth/v1/BootstrapAPI.js';
import { loadBerthProto } from '../../proto/grpc.js';
import { CertificateRequestError } from '../../proto/security/pki.js';
import type { TlsMaterial } from '../../proto/security/tls-credentials.js';
import { answerError } from './errors.js';
import { refuseMalformed } from './malformed-requests.js';
import { NodeNameTakenError, type NodeJoin } from '../bootstrap/node-join.js';
import { BootstrapTokenRefusedError } from '../bootstrap/token-authenticator.js';

/** A join request is a token, a name and a CSR of about a kilobyte: anything near this is not one. */
const MAX_REQUEST_BYTES = 64 * 1024;
/** Joins handled at once; more are refused at once (RESOURCE_EXHAUSTED) instead of queueing, so a flood cannot pile up work. */
export const DEFAULT_MAX_JOINS_IN_FLIGHT = 16;

/** BootstrapServerOptions is used to start the join endpoint. */
export interface BootstrapServerOptions {
  /** host:port (port 0 picks a free one). */
  listen: string;
  /** The control plane's own credentials: its certificate is served (with the CA), no client certificate is asked for. */
  serving: TlsMaterial;
  join: NodeJoin;
  logger: Logger;
  maxInFlight?: number;
}

/**
 * startBootstrapServer serves BootstrapAPI on its own port. It is separate from ClusterAPI and
 * NodeAPI because those require a client certificate, which a joining machine does not have yet.
 */
export async function startBootstrapServer(options: BootstrapServerOptions): Promise<{ server: grpc.Server; port: number }> {
  const proto = loadBerthProto();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_REQUEST_BYTES, 'grpc.max_send_message_length': MAX_REQUEST_BYTES });
  server.addService(...refuseMalformed(proto.berth.v1.BootstrapAPI.service, bootstrapHandlers(options.join, options.logger, options.maxInFlight ?? DEFAULT_MAX_JOINS_IN_FLIGHT)));
  const credentials = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(options.serving.keyPem), cert_chain: Buffer.from(options.serving.certPem + options.serving.caPem) }], false);
  try {
    const port = await new Promise<number>((resolve, reject) => server.bindAsync(options.listen, credentials, (err, p) => (err ? reject(err) : resolve(p))));
    return { server, port };
  } catch (err) {
    server.forceShutdown();
    throw err;
  }
}

function bootstrapHandlers(join: NodeJoin, logger: Logger, maxInFlight: number): BootstrapAPIHandlers {
  let inFlight = 0;
  return {
    JoinNode: (call, callback) => {
      const { token, node_name: nodeName, csr_pem: csrPem } = call.request;
      if (inFlight >= maxInFlight) {
        logger.warn('join refused: too many at once', { peer: call.getPeer(), node: nodeName });
        callback(refusal(grpc.status.RESOURCE_EXHAUSTED, `the control plane is handling ${maxInFlight} joins already; try again in a moment`));
        return;
      }
      inFlight++;
      join.join({ token, nodeName, csrPem }).then(
        (issued) => callback(null, { certificate_pem: issued.certificatePem, ca_pem: issued.caPem, node_api_port: issued.nodeApiPort }),
        (err: unknown) => {
          const code = joinRefusalCode(err);
          if (code === undefined) {
            callback(answerError(logger, err, { method: call.getPath(), node: nodeName }));
            return;
          }
          logger.warn('join refused', { peer: call.getPeer(), node: nodeName, reason: (err as Error).message });
          callback(refusal(code, (err as Error).message));
        },
      ).finally(() => inFlight--);
    },
  };
}

/** The status of a refusal the joining machine caused; undefined for the errors the shared mapping knows. */
function joinRefusalCode(err: unknown): grpc.status | undefined {
  if (err instanceof BootstrapTokenRefusedError) return grpc.status.UNAUTHENTICATED;
  if (err instanceof NodeNameTakenError) return grpc.status.ALREADY_EXISTS;
  if (err instanceof CertificateRequestError) return grpc.status.INVALID_ARGUMENT;
  return undefined;
}

function refusal(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}
