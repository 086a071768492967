import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import type { NodeCertificateReply } from '../../proto/generated/berth/v1/NodeCertificateReply.js';
import type { RenewNodeCertificateRequest__Output } from '../../proto/generated/berth/v1/RenewNodeCertificateRequest.js';
import { callerIdentity, describeIdentity } from '../../proto/security/identity.js';
import { CertificateRequestError } from '../../proto/security/pki.js';
import { answerError } from './errors.js';
import type { NodeCertificateIssuer } from '../bootstrap/node-certificates.js';

/**
 * renewNodeCertificate is NodeAPI.RenewNodeCertificate: a node that calls with its current
 * (still valid) certificate gets a new one with the same identity for the key of its request.
 * The identity comes from the verified client certificate only, so a node renews only its own.
 * `issuer` is undefined on a control plane that has no CA key: it serves but cannot issue.
 */
export function renewNodeCertificate(issuer: NodeCertificateIssuer | undefined, logger: Logger): grpc.handleUnaryCall<RenewNodeCertificateRequest__Output, NodeCertificateReply> {
  return (call, callback) => {
    const caller = callerIdentity(call);
    if (caller?.kind !== 'node') {
      logger.warn('certificate renewal refused', { caller: describeIdentity(caller), reason: 'not a node' });
      callback(refusal(grpc.status.PERMISSION_DENIED, `only a node renews its certificate through NodeAPI; the caller is ${describeIdentity(caller)}`));
      return;
    }
    if (!issuer) {
      callback(refusal(grpc.status.FAILED_PRECONDITION, 'this control plane has no CA key (ca.key in its --pki-dir) and cannot issue certificates; ask one that has'));
      return;
    }
    issuer.issue(caller.nodeName, call.request.csr_pem).then(
      (certificatePem) => {
        logger.info('renewed a node certificate', { node: caller.nodeName });
        callback(null, { certificate_pem: certificatePem, ca_pem: issuer.caPem });
      },
      (err: unknown) => callback(err instanceof CertificateRequestError ? refusal(grpc.status.INVALID_ARGUMENT, err.message) : answerError(logger, err, { method: call.getPath(), node: caller.nodeName })),
    );
  };
}

function refusal(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}
