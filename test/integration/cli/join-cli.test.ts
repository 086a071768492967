import { expect } from 'chai';
import type * as grpc from '@grpc/grpc-js';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBootstrapServer } from '../../../control-plane/grpc/bootstrap-api.js';
import { NodeCertificateIssuer } from '../../../control-plane/bootstrap/node-certificates.js';
import { NodeJoin } from '../../../control-plane/bootstrap/node-join.js';
import { TokenAuthenticator } from '../../../control-plane/bootstrap/token-authenticator.js';
import { RESOURCE } from '../../../proto/resources.js';
import { bootstrapTokenSecret, formatBootstrapToken, generateBootstrapToken } from '../../../proto/security/bootstrap-token.js';
import { CONTROL_PLANE_NAME, subjectFor } from '../../../proto/security/identity.js';
import { caCertificateHash, createCertificateAuthority, describeCertificate, issueKeyAndCertificate, type CertificateAuthority } from '../../../proto/security/pki.js';
import { CONTROL_PLANE_SERVER_NAME } from '../../../proto/security/tls-credentials.js';
import { berth } from '../../support/cli.js';
import { useEtcdStore, type EtcdStore } from '../../support/etcd.js';
import { silentLogger } from '../../support/logger.js';

describe('berth join against a join endpoint', () => {
  let env: EtcdStore;
  useEtcdStore((e) => (env = e));
  let ca: CertificateAuthority;
  let server: grpc.Server;
  let address: string;
  let dir: string;

  before(async () => {
    ca = await createCertificateAuthority();
    const serving = await issueKeyAndCertificate(ca, subjectFor({ kind: 'control-plane', name: CONTROL_PLANE_NAME }), { usage: 'server-and-client', validForMs: 3_600_000, dnsNames: [CONTROL_PLANE_SERVER_NAME] });
    const logger = silentLogger();
    const join = new NodeJoin(env.store, new TokenAuthenticator(env.store, logger), new NodeCertificateIssuer(ca, 3_600_000), logger, 7443);
    const started = await startBootstrapServer({ listen: '127.0.0.1:0', serving: { caPem: ca.certPem, ...serving }, join, logger });
    server = started.server;
    address = `127.0.0.1:${started.port}`;
  });
  after(() => server?.forceShutdown());
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'berth-join-cli-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function token(expires?: Date): Promise<string> {
    const t = generateBootstrapToken();
    await env.store.create(RESOURCE.secrets, bootstrapTokenSecret(t, expires ? { expires } : {}));
    return formatBootstrapToken(t);
  }

  const joinArgs = (tokenText: string, pin: string) => ['join', address, '--token', tokenText, '--discovery-token-ca-cert-hash', pin, '--dir', join(dir, 'etc'), '--state-dir', join(dir, 'var'), '--node-name', 'worker-7', '--start', 'none'];

  it('writes the node key, its certificate and the agent env file, and prints how to start the agent', async () => {
    const result = await berth(undefined, joinArgs(await token(), caCertificateHash(ca.certPem)));
    expect(result.code, result.stderr).to.equal(0);
    const tls = join(dir, 'etc', 'agent');
    const cert = readFileSync(join(tls, 'tls.crt'), 'utf8');
    expect(describeCertificate(cert).commonName).to.equal('system:node:worker-7');
    expect(new X509Certificate(cert).checkPrivateKey(createPrivateKey(readFileSync(join(tls, 'tls.key'), 'utf8')))).to.equal(true);
    expect(statSync(join(tls, 'tls.key')).mode & 0o777).to.equal(0o600);
    expect(readFileSync(join(tls, 'ca.crt'), 'utf8')).to.equal(ca.certPem);
    expect(readFileSync(join(dir, 'etc', 'agent.env'), 'utf8')).to.include(
      `BERTH_AGENT_ARGS="--server=127.0.0.1:7443 --name=worker-7 --tls-dir=${tls} --root=${join(dir, 'var', 'agent')} --node-ip=127.0.0.1"`,
    );
    expect(result.stdout).to.include('The agent of node worker-7 was not started (--start none). Start it with:');
    const again = await berth(undefined, joinArgs(await token(), caCertificateHash(ca.certPem)));
    expect(again.stderr).to.include('already exist').and.include('berth join --force');
  });

  const refusals: Array<[string, () => Promise<string[]>, RegExp]> = [
    ['a CA hash that is not the pinned one', async () => joinArgs(await token(), caCertificateHash((await createCertificateAuthority()).certPem)), /presents a CA with hash sha256:[0-9a-f]{64}, not the pinned sha256:[0-9a-f]{64}: refusing to join/],
    ['an expired token', async () => joinArgs(await token(new Date(Date.now() - 1000)), caCertificateHash(ca.certPem)), /refused the join: bootstrap token "[a-z0-9]{6}" expired at/],
    ['a deleted token', async () => joinArgs(formatBootstrapToken(generateBootstrapToken()), caCertificateHash(ca.certPem)), /refused the join: bootstrap token "[a-z0-9]{6}" is not valid: no such token/],
    ['a malformed pin', async () => joinArgs(await token(), 'md5:abc'), /--discovery-token-ca-cert-hash "md5:abc" is not sha256:<64 hex digits>/],
  ];
  for (const [what, args, message] of refusals) {
    it(`refuses ${what} and writes nothing`, async () => {
      const result = await berth(undefined, await args());
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(message);
      expect(existsSync(join(dir, 'etc'))).to.equal(false);
      expect(existsSync(join(dir, 'var'))).to.equal(false);
    });
  }
});
