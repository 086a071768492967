import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { renewNodeCertificate } from '../../../control-plane/grpc/node-certificate-renewal.js';
import { requestJoin } from '../../../cli/join/bootstrap-client.js';
import { discoverPinnedCa } from '../../../cli/join/discovery.js';
import { createBootstrapToken } from '../../../cli/commands/token.js';
import type { NodeAPIClient } from '../../../proto/generated/berth/v1/NodeAPI.js';
import type { NodeCertificateReply__Output } from '../../../proto/generated/berth/v1/NodeCertificateReply.js';
import { loadBerthProto } from '../../../proto/grpc.js';
import { subjectFor } from '../../../proto/security/identity.js';
import { caCertificateHash, createKeyAndCertificateRequest, describeCertificate } from '../../../proto/security/pki.js';
import { CONTROL_PLANE_SERVER_NAME, channelCredentials, channelOptionsFor } from '../../../proto/security/tls-credentials.js';
import { useControlPlaneWithClients, type ControlPlaneWithClients } from '../../support/control-plane.js';
import { silentLogger } from '../../support/logger.js';
import { rawNodeApi } from '../../support/test-clients.js';
import { testAdmin, testCa } from '../../support/test-pki.js';

describe('a control plane with the CA key: joining and renewing node certificates', () => {
  let env: ControlPlaneWithClients;
  useControlPlaneWithClients((started) => (env = started));

  it('serves the join endpoint on its own port and tells the joined node where NodeAPI is', async () => {
    const bootstrap = `127.0.0.1:${env.cp.controlPlane.bootstrapPort}`;
    const token = await createBootstrapToken(env.client, { ttlMs: 60_000 });
    const { caPem } = await discoverPinnedCa(bootstrap, caCertificateHash((await testCa()).certPem));
    const { csrPem } = await createKeyAndCertificateRequest(subjectFor({ kind: 'node', nodeName: 'joined-1' }));
    const joined = await requestJoin(bootstrap, caPem, { token, nodeName: 'joined-1', csrPem });
    expect(describeCertificate(joined.certificatePem).commonName).to.equal('system:node:joined-1');
    expect(joined.nodeApiPort).to.equal(env.cp.controlPlane.port);
  });

  const renew = (client: NodeAPIClient, csrPem: string) =>
    new Promise<NodeCertificateReply__Output>((resolve, reject) => client.RenewNodeCertificate({ csr_pem: csrPem }, (err: grpc.ServiceError | null, reply?: NodeCertificateReply__Output) => (err || !reply ? reject(err) : resolve(reply))));

  it('renews a node certificate with the identity of the caller, whatever the request asks for', async () => {
    const node = await rawNodeApi(env.cp.server, 'node-r');
    try {
      const { csrPem } = await createKeyAndCertificateRequest({ commonName: 'system:node:other', organizations: ['system:masters'] });
      const reply = await renew(node, csrPem);
      expect(describeCertificate(reply.certificate_pem)).to.include({ commonName: 'system:node:node-r' });
      expect(describeCertificate(reply.certificate_pem).organizations).to.deep.equal(['system:nodes']);
      expect(reply.ca_pem).to.equal((await testCa()).certPem);
    } finally {
      node.close();
    }
  });

  it('refuses a renewal by a caller that is not a node', async () => {
    const admin = new (loadBerthProto().berth.v1.NodeAPI)(env.cp.server, channelCredentials(await testAdmin()), channelOptionsFor(CONTROL_PLANE_SERVER_NAME)) as unknown as NodeAPIClient;
    try {
      const { csrPem } = await createKeyAndCertificateRequest(subjectFor({ kind: 'node', nodeName: 'x' }));
      const err = (await renew(admin, csrPem).catch((e: unknown) => e)) as grpc.ServiceError;
      expect({ code: err.code, details: err.details }).to.deep.equal({ code: grpc.status.PERMISSION_DENIED, details: 'only a node renews its certificate through NodeAPI; the caller is admin test-admin' });
    } finally {
      admin.close();
    }
  });

  it('a control plane without the CA key says it cannot issue', async () => {
    const call = { getAuthContext: () => ({ transportSecurityType: 'ssl', sslPeerCertificate: { subject: { CN: 'system:node:n', O: 'system:nodes' } } }), request: { csr_pem: '' }, getPath: () => '/x' };
    const err = await new Promise<grpc.ServiceError | null>((resolve) => renewNodeCertificate(undefined, silentLogger())(call as never, (e) => resolve(e as grpc.ServiceError | null)));
    expect(err?.code).to.equal(grpc.status.FAILED_PRECONDITION);
    expect(err?.details).to.include('has no CA key (ca.key in its --pki-dir)');
  });
});
