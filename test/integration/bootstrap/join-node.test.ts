import { expect } from 'chai';
import type * as grpc from '@grpc/grpc-js';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { TokenAuthenticator } from '../../../control-plane/bootstrap/token-authenticator.js';
import { NodeCertificateIssuer } from '../../../control-plane/bootstrap/node-certificates.js';
import { NodeJoin } from '../../../control-plane/bootstrap/node-join.js';
import { startBootstrapServer } from '../../../control-plane/grpc/bootstrap-api.js';
import { requestJoin } from '../../../cli/join/bootstrap-client.js';
import { discoverPinnedCa } from '../../../cli/join/discovery.js';
import { RESOURCE } from '../../../proto/resources.js';
import type { Secret } from '../../../proto/objects/config.js';
import { bootstrapTokenSecret, formatBootstrapToken, generateBootstrapToken, BOOTSTRAP_TOKEN_NAMESPACE } from '../../../proto/security/bootstrap-token.js';
import { CONTROL_PLANE_NAME, subjectFor } from '../../../proto/security/identity.js';
import { caCertificateHash, createCertificateAuthority, createKeyAndCertificateRequest, describeCertificate, issueKeyAndCertificate, type CertificateAuthority } from '../../../proto/security/pki.js';
import { CONTROL_PLANE_SERVER_NAME } from '../../../proto/security/tls-credentials.js';
import { useEtcdStore, type EtcdStore } from '../../support/etcd.js';
import { collectingLogger } from '../../support/logger.js';

const HOUR = 3_600_000;

describe('joining a node with a bootstrap token (BootstrapAPI over TLS, tokens in etcd)', () => {
  let env: EtcdStore;
  useEtcdStore((e) => (env = e), { emptyAfterEach: true });
  let ca: CertificateAuthority;
  let server: grpc.Server;
  let address: string;
  const { logger, lines } = collectingLogger();

  before(async () => {
    ca = await createCertificateAuthority();
    const serving = await issueKeyAndCertificate(ca, subjectFor({ kind: 'control-plane', name: CONTROL_PLANE_NAME }), { usage: 'server-and-client', validForMs: HOUR, dnsNames: [CONTROL_PLANE_SERVER_NAME, 'localhost'], ipAddresses: ['127.0.0.1'] });
    const join = new NodeJoin(env.store, new TokenAuthenticator(env.store, logger), new NodeCertificateIssuer(ca, 2 * HOUR), logger, 6443);
    const started = await startBootstrapServer({ listen: '127.0.0.1:0', serving: { caPem: ca.certPem, ...serving }, join, logger, maxInFlight: 4 });
    server = started.server;
    address = `127.0.0.1:${started.port}`;
  });
  after(() => server?.forceShutdown());

  async function storeToken(options: { expires?: Date; authentication?: boolean } = {}): Promise<string> {
    const token = generateBootstrapToken();
    const secret = bootstrapTokenSecret(token, { description: 'test', ...(options.expires ? { expires: options.expires } : {}) });
    if (options.authentication === false) delete secret.data?.['usage-bootstrap-authentication'];
    await env.store.create(RESOURCE.secrets, secret);
    return formatBootstrapToken(token);
  }

  async function join(token: string, nodeName: string): Promise<{ keyPem: string; certificatePem: string; nodeApiPort: number }> {
    const { caPem } = await discoverPinnedCa(address, caCertificateHash(ca.certPem));
    const { keyPem, csrPem } = await createKeyAndCertificateRequest({ commonName: 'anything', organizations: ['system:masters'] });
    return { keyPem, ...(await requestJoin(address, caPem, { token, nodeName, csrPem })) };
  }

  async function refusal(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('expected a refusal');
  }

  it('issues a certificate naming the node, for the key the machine made, signed by the pinned CA', async () => {
    const joined = await join(await storeToken({ expires: new Date(Date.now() + HOUR) }), 'worker-1');
    const cert = new X509Certificate(joined.certificatePem);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).to.equal(true);
    expect(cert.checkPrivateKey(createPrivateKey(joined.keyPem))).to.equal(true);
    expect(describeCertificate(joined.certificatePem)).to.include({ commonName: 'system:node:worker-1' });
    expect(describeCertificate(joined.certificatePem).organizations).to.deep.equal(['system:nodes']);
    expect(cert.subjectAltName).to.equal('DNS:worker-1');
    expect(joined.nodeApiPort).to.equal(6443);
  });

  it('refuses a server whose CA does not have the pinned hash, naming both hashes', async () => {
    const other = await createCertificateAuthority('other');
    const message = await refusal(discoverPinnedCa(address, caCertificateHash(other.certPem)));
    expect(message).to.include(caCertificateHash(ca.certPem)).and.include(caCertificateHash(other.certPem)).and.include('refusing to join');
  });

  it('refuses an expired token, and deletes it', async () => {
    const token = await storeToken({ expires: new Date(Date.now() - 1000) });
    expect(await refusal(join(token, 'worker-2'))).to.match(/bootstrap token "[a-z0-9]{6}" expired at .*berth token create/);
    const id = token.slice(0, 6);
    expect(await env.store.tryGet(RESOURCE.secrets, BOOTSTRAP_TOKEN_NAMESPACE, `bootstrap-token-${id}`)).to.equal(undefined);
  });

  it('refuses a deleted token and a wrong secret alike', async () => {
    const token = await storeToken();
    await env.store.delete(RESOURCE.secrets, BOOTSTRAP_TOKEN_NAMESPACE, `bootstrap-token-${token.slice(0, 6)}`);
    expect(await refusal(join(token, 'worker-3'))).to.match(/refused the join: bootstrap token "[a-z0-9]{6}" is not valid: no such token/);
    const live = await storeToken();
    const wrong = `${live.slice(0, 7)}${live[7] === 'a' ? 'b' : 'a'}${live.slice(8)}`;
    expect(await refusal(join(wrong, 'worker-3'))).to.match(/is not valid: no such token .* or its secret does not match/);
  });

  it('refuses a token that is not for authentication, a malformed token, and a node name that is not a DNS subdomain', async () => {
    expect(await refusal(join(await storeToken({ authentication: false }), 'worker-4'))).to.include('may not be used for authentication');
    expect(await refusal(join('hello', 'worker-4'))).to.include('the token is not of the form');
    expect(await refusal(join(await storeToken(), 'Worker_4'))).to.match(/node_name: Invalid value "Worker_4": a lowercase RFC 1123 subdomain/);
  });

  it('refuses a name a Ready node has, and lets a NotReady one be re-joined', async () => {
    const ready = (status: 'True' | 'False') => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: `n-${status.toLowerCase()}` }, status: { conditions: [{ type: 'Ready', status }] } });
    await env.store.create(RESOURCE.nodes, ready('True'));
    await env.store.create(RESOURCE.nodes, ready('False'));
    const token = await storeToken();
    expect(await refusal(join(token, 'n-true'))).to.include('a Node named "n-true" is Ready in the cluster');
    expect(describeCertificate((await join(token, 'n-false')).certificatePem).commonName).to.equal('system:node:n-false');
  });

  it('answers a flood of bad tokens at once (refusing what it cannot take) and then still joins', async () => {
    const attempts = Array.from({ length: 200 }, (_, i) => refusal(requestJoin(address, ca.certPem, { token: `abcdef.${String(i).padStart(16, '0')}`, nodeName: `flood-${i}`, csrPem: 'x' })));
    const answers = await Promise.all(attempts);
    for (const answer of answers) expect(answer).to.match(/is not valid: no such token|is handling 4 joins already/);
    expect(lines.some((l) => l.message === 'join refused')).to.equal(true);
    expect(describeCertificate((await join(await storeToken(), 'after-flood')).certificatePem).commonName).to.equal('system:node:after-flood');
  });

  it('sweeps expired token Secrets and leaves valid ones and other Secrets alone', async () => {
    const expired = await storeToken({ expires: new Date(Date.now() - 1000) });
    const valid = await storeToken({ expires: new Date(Date.now() + HOUR) });
    await env.store.create(RESOURCE.secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'other', namespace: BOOTSTRAP_TOKEN_NAMESPACE }, data: {} } as Secret);
    const removed = await new TokenAuthenticator(env.store, logger).sweepExpired();
    expect(removed).to.deep.equal([expired.slice(0, 6)]);
    const { items } = await env.store.list(RESOURCE.secrets, BOOTSTRAP_TOKEN_NAMESPACE);
    expect(items.map((s) => s.metadata.name).sort()).to.deep.equal([`bootstrap-token-${valid.slice(0, 6)}`, 'other'].sort());
  });
});
