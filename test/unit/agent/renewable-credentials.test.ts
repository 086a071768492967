import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { RenewableServerCredentials } from '../../../node-agent/agent/renewable-credentials.js';
import { subjectFor } from '../../../proto/security/identity.js';
import { createCertificateAuthority, issueKeyAndCertificate, type CertificateAuthority } from '../../../proto/security/pki.js';
import type { TlsMaterial } from '../../../proto/security/tls-credentials.js';

describe('AgentAPI credentials that a renewal replaces', () => {
  let ca: CertificateAuthority;
  let server: grpc.Server;
  before(async () => {
    ca = await createCertificateAuthority();
  });
  afterEach(() => server?.forceShutdown());

  const nodeMaterial = async (): Promise<TlsMaterial> => ({ caPem: ca.certPem, ...(await issueKeyAndCertificate(ca, subjectFor({ kind: 'node', nodeName: 'node-a' }), { usage: 'server-and-client', validForMs: 3_600_000, dnsNames: ['node-a'] })) });

  /** The certificate a new TLS connection is served, presenting a client certificate of the CA. */
  async function served(port: number, client: TlsMaterial): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, servername: 'node-a', ca: client.caPem, cert: client.certPem, key: client.keyPem, ALPNProtocols: ['h2'] });
      socket.once('secureConnect', () => {
        resolve(new X509Certificate(socket.getPeerCertificate().raw).serialNumber);
        socket.destroy();
      });
      socket.once('error', reject);
    });
  }

  it('serves the new certificate on connections made after update()', async () => {
    const first = await nodeMaterial();
    const second = await nodeMaterial();
    const credentials = new RenewableServerCredentials(first);
    server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials.credentials, (err, p) => (err ? reject(err) : resolve(p))));
    const client = await nodeMaterial();
    expect(await served(port, client)).to.equal(new X509Certificate(first.certPem).serialNumber);
    credentials.update(second);
    expect(await served(port, client)).to.equal(new X509Certificate(second.certPem).serialNumber);
  });
});
