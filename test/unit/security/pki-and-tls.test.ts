import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import {
  caCertificateHash,
  certificateRequestSubject,
  createCertificateAuthority,
  createKeyAndCertificateRequest,
  describeCertificate,
  issueKeyAndCertificate,
  signCertificateRequest,
  type CertificateAuthority,
} from '../../../proto/security/pki.js';
import { callerIdentity, identityFromSubject, subjectFor, type CallerIdentity } from '../../../proto/security/identity.js';
import { CONTROL_PLANE_SERVER_NAME, channelCredentials, channelOptionsFor, serverCredentials, type TlsMaterial } from '../../../proto/security/tls-credentials.js';

const HOUR = 3_600_000;

describe('cluster PKI and mutual TLS', () => {
  let ca: CertificateAuthority;
  before(async () => {
    ca = await createCertificateAuthority();
  });

  it('issues a node certificate for the public key of a request, with the subject the CA chose', async () => {
    const request = await createKeyAndCertificateRequest({ commonName: 'system:node:evil', organizations: ['system:masters'] });
    expect(certificateRequestSubject(request.csrPem)).to.deep.equal({ commonName: 'system:node:evil', organizations: ['system:masters'] });
    const certPem = await signCertificateRequest(ca, request.csrPem, subjectFor({ kind: 'node', nodeName: 'node-1' }), { usage: 'server-and-client', validForMs: HOUR, dnsNames: ['node-1'] });
    const cert = new X509Certificate(certPem);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).to.equal(true);
    expect(cert.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(request.keyPem)))).to.equal(true);
    expect(describeCertificate(certPem)).to.include({ commonName: 'system:node:node-1' });
    expect(describeCertificate(certPem).organizations).to.deep.equal(['system:nodes']);
  });

  it('refuses a request whose signature is not made by its key, and text that is not a request', async () => {
    const request = await createKeyAndCertificateRequest({ commonName: 'x', organizations: [] });
    const body = request.csrPem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    const bytes = Buffer.from(body, 'base64');
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff; // inside the signature
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${bytes.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const subject = subjectFor({ kind: 'node', nodeName: 'n' });
    await expectRejection(signCertificateRequest(ca, forged, subject, { usage: 'client', validForMs: HOUR }), /certificate signing request/);
    await expectRejection(signCertificateRequest(ca, 'hello', subject, { usage: 'client', validForMs: HOUR }), /not a PEM PKCS#10 request/);
  });

  it('pins the CA by the SHA-256 of its public key, as kubeadm does', async () => {
    expect(caCertificateHash(ca.certPem)).to.match(/^sha256:[0-9a-f]{64}$/);
    const other = await createCertificateAuthority();
    expect(caCertificateHash(other.certPem)).to.not.equal(caCertificateHash(ca.certPem));
  });

  it('maps subjects to identities and refuses subjects that name none or several roles', () => {
    const identities: CallerIdentity[] = [{ kind: 'node', nodeName: 'node-2' }, { kind: 'admin', name: 'alice' }, { kind: 'control-plane', name: 'berth-control-plane' }];
    for (const identity of identities) expect(identityFromSubject(subjectFor(identity))).to.deep.equal(identity);
    expect(identityFromSubject({ commonName: 'system:node:a', organizations: ['system:nodes', 'system:masters'] })).to.equal(undefined);
    expect(identityFromSubject({ commonName: 'bob', organizations: [] })).to.equal(undefined);
    expect(identityFromSubject({ commonName: 'system:node:', organizations: ['system:nodes'] })).to.equal(undefined);
  });

  describe('a gRPC server with serverCredentials', () => {
    let server: grpc.Server;
    let port: number;
    before(async () => {
      const serving = await issueKeyAndCertificate(ca, subjectFor({ kind: 'control-plane', name: 'berth-control-plane' }), { usage: 'server-and-client', validForMs: HOUR, dnsNames: [CONTROL_PLANE_SERVER_NAME] });
      server = new grpc.Server();
      server.register('/t.T/WhoAmI', (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => done(null, Buffer.from(JSON.stringify(callerIdentity(call) ?? null))), (b: Buffer) => b, (b: Buffer) => b, 'unary');
      port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', serverCredentials({ caPem: ca.certPem, ...serving }), (err, p) => (err ? reject(err) : resolve(p))));
    });
    after(() => server.forceShutdown());

    const whoAmI = (credentials: grpc.ChannelCredentials) =>
      new Promise<string>((resolve) => {
        const client = new grpc.Client(`127.0.0.1:${port}`, credentials, channelOptionsFor(CONTROL_PLANE_SERVER_NAME));
        client.makeUnaryRequest('/t.T/WhoAmI', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), { deadline: Date.now() + 5000 }, (err, reply) => {
          client.close();
          resolve(err ? `refused: ${err.code}` : (reply?.toString() ?? ''));
        });
      });
    const material = async (authority: CertificateAuthority, identity: CallerIdentity): Promise<TlsMaterial> => ({ caPem: ca.certPem, ...(await issueKeyAndCertificate(authority, subjectFor(identity), { usage: 'client', validForMs: HOUR })) });

    it('tells the handler who the caller is', async () => {
      expect(JSON.parse(await whoAmI(channelCredentials(await material(ca, { kind: 'node', nodeName: 'node-1' }))))).to.deep.equal({ kind: 'node', nodeName: 'node-1' });
    });

    it('refuses a caller without a certificate or with one from another CA', async () => {
      expect(await whoAmI(grpc.credentials.createSsl(Buffer.from(ca.certPem)))).to.equal(`refused: ${grpc.status.UNAVAILABLE}`);
      expect(await whoAmI(grpc.credentials.createInsecure())).to.equal(`refused: ${grpc.status.UNAVAILABLE}`);
      const stranger = await createCertificateAuthority('stranger');
      expect(await whoAmI(channelCredentials(await material(stranger, { kind: 'admin', name: 'mallory' })))).to.equal(`refused: ${grpc.status.UNAVAILABLE}`);
    });
  });
});

async function expectRejection(promise: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await promise;
  } catch (err) {
    expect((err as Error).message).to.match(message);
    return;
  }
  expect.fail('expected a rejection');
}
