import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialFields, writeConfig } from '../../../cli/config.js';
import { createCertificateAuthority } from '../../../proto/security/pki.js';
import { berth } from '../../support/cli.js';
import { useControlPlaneWithClients, type ControlPlaneWithClients } from '../../support/control-plane.js';
import { testCredentials, TEST_ADMIN } from '../../support/test-pki.js';

describe('the berth CLI and its credentials in ~/.berth/config', function () {
  this.timeout(60_000);
  let started: ControlPlaneWithClients;
  let dir: string;
  useControlPlaneWithClients((s) => (started = s));
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-cli-credentials-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const withConfig = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return { BERTH_CONFIG: path };
  };

  it('says that it has no client certificate, where it looked and how to get one', async () => {
    const env = withConfig('server-only', `server: ${started.cp.server}\n`);
    const res = await berth(undefined, ['get', 'pods'], undefined, env);
    expect(res.code).to.equal(1);
    expect(res.stderr).to.equal(
      `error: no client certificate in ${env.BERTH_CONFIG} (missing certificateAuthorityData, clientCertificateData, clientKeyData): the control plane accepts only clients with a certificate of its cluster. ` +
        'Run `berth up` for a local cluster, or ask an admin of the cluster for a config file (point BERTH_CONFIG at it).\n',
    );
    const missing = await berth(started.cp.server, ['get', 'pods'], undefined, { BERTH_CONFIG: join(dir, 'does-not-exist') });
    expect(missing.stderr).to.contain(`no client certificate in ${join(dir, 'does-not-exist')}`);
  });

  it('names the file and the field that is not a certificate or key', async () => {
    const admin = credentialFields(await testCredentials(TEST_ADMIN));
    const env = withConfig('bad-key', `server: ${started.cp.server}\ncertificateAuthorityData: ${admin.certificateAuthorityData}\nclientCertificateData: ${admin.clientCertificateData}\nclientKeyData: ${Buffer.from('hello').toString('base64')}\n`);
    const res = await berth(undefined, ['get', 'pods'], undefined, env);
    expect(res.code).to.equal(1);
    expect(res.stderr).to.equal(`error: ${env.BERTH_CONFIG}: clientKeyData is not the base64 of a PEM private key\n`);
    const wrongType = withConfig('wrong-type', `server: ${started.cp.server}\nclientCertificateData: [1, 2]\n`);
    expect((await berth(undefined, ['get', 'pods'], undefined, wrongType)).stderr).to.equal(`error: ${wrongType.BERTH_CONFIG}: clientCertificateData must be a string (the base64 of a PEM file)\n`);
  });

  it("refuses a key that is not the certificate's", async () => {
    const admin = credentialFields(await testCredentials(TEST_ADMIN));
    const other = credentialFields(await testCredentials({ kind: 'admin', name: 'someone-else' }));
    const path = join(dir, 'mismatched');
    writeConfig({ server: started.cp.server, ...admin, clientKeyData: other.clientKeyData }, path);
    const res = await berth(undefined, ['get', 'pods'], undefined, { BERTH_CONFIG: path });
    expect(res.stderr).to.equal(`error: ${path}: clientKeyData: this key does not belong to the certificate in ${path}: clientCertificateData\n`);
  });

  it('with the config of another cluster, says it cannot trust the control plane and what to do', async () => {
    const stranger = await createCertificateAuthority('stranger');
    const path = join(dir, 'other-cluster');
    writeConfig({ server: started.cp.server, ...credentialFields({ ...(await testCredentials(TEST_ADMIN, { ca: stranger })), caPem: stranger.certPem }) }, path);
    const res = await berth(undefined, ['get', 'pods'], undefined, { BERTH_CONFIG: path });
    expect(res.code).to.equal(1);
    expect(res.stderr).to.equal(
      `error: cannot trust the Berth control plane at ${started.cp.server} (self-signed certificate in certificate chain): its certificate is not from the cluster CA in ${path}, so that config is for another cluster, or the cluster was made again. ` +
        "Run `berth up` again for a local cluster, or ask the cluster's admin for a current config.\n",
    );
  });

  it("refuses a certificate that the config's own CA did not issue, before calling", async () => {
    const stranger = await createCertificateAuthority('stranger');
    const path = join(dir, 'foreign-certificate');
    writeConfig({ server: started.cp.server, ...credentialFields(await testCredentials(TEST_ADMIN, { ca: stranger })) }, path);
    const res = await berth(undefined, ['get', 'pods'], undefined, { BERTH_CONFIG: path });
    expect(res.code).to.equal(1);
    expect(res.stderr).to.equal(`error: ${path}: clientCertificateData: this certificate was not issued by the CA in ${path}: certificateAuthorityData\n`);
  });
});
