import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientCredentials, credentialFields, readConfig, writeConfig } from '../../../cli/config.js';
import { loadControlPlanePki } from '../../../control-plane/tls/control-plane-pki.js';
import { createCertificateAuthority } from '../../../proto/security/pki.js';
import { writeTlsMaterial } from '../../../proto/security/tls-credentials.js';
import { testCa, testCredentials, TEST_ADMIN, TEST_CONTROL_PLANE, writeTestPkiDir } from '../../support/test-pki.js';

describe('loading credentials: the control plane PKI directory and the CLI config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-pki-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a PKI directory with the CA key as able to issue, and without it as serving only', async () => {
    const full = await writeTestPkiDir(join(dir, 'full'));
    const loaded = loadControlPlanePki(full);
    expect(loaded.authority?.keyPem).to.equal((await testCa()).keyPem);
    expect(loaded.tls).to.deep.equal(await testCredentials(TEST_CONTROL_PLANE));
    const servingOnly = join(dir, 'serving-only');
    writeTlsMaterial(servingOnly, await testCredentials(TEST_CONTROL_PLANE));
    expect(loadControlPlanePki(servingOnly).authority).to.equal(undefined);
  });

  it('names the file that is missing, of another CA, or not the key of its certificate', async () => {
    expect(() => loadControlPlanePki(join(dir, 'none'))).to.throw(`${join(dir, 'none', 'ca.crt')}: cannot read (ENOENT)`);
    const pki = await writeTestPkiDir(join(dir, 'pki'));
    writeFileSync(join(pki, 'ca.key'), (await createCertificateAuthority('other')).keyPem);
    expect(() => loadControlPlanePki(pki)).to.throw(`${join(pki, 'ca.key')}: this key does not belong to the CA certificate in ${join(pki, 'ca.crt')}`);
    const stranger = await testCredentials(TEST_CONTROL_PLANE, { ca: await createCertificateAuthority('stranger') });
    writeTlsMaterial(join(dir, 'foreign'), stranger);
    expect(() => loadControlPlanePki(join(dir, 'foreign'))).to.throw(`${join(dir, 'foreign', 'tls.crt')}: this certificate was not issued by the CA in ${join(dir, 'foreign', 'ca.crt')}`);
  });

  it('writes the CLI config with mode 0600 and reads back the same credentials', async () => {
    const path = join(dir, 'home', '.berth', 'config');
    const admin = await testCredentials(TEST_ADMIN);
    writeConfig({ server: '10.0.0.1:6443', ...credentialFields(admin) }, path);
    expect((statSync(path).mode & 0o777).toString(8)).to.equal('600');
    expect((statSync(join(dir, 'home', '.berth')).mode & 0o777).toString(8)).to.equal('700');
    expect(readConfig(path).server).to.equal('10.0.0.1:6443');
    expect(clientCredentials(path)).to.deep.equal(admin);
  });
});
