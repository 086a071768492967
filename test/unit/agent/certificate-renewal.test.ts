import { expect } from 'chai';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateRenewer, renewalDue } from '../../../node-agent/agent/certificate-renewal.js';
import { subjectFor } from '../../../proto/security/identity.js';
import { BACKDATE_MS, createCertificateAuthority, describeCertificate, issueKeyAndCertificate, signCertificateRequest, type CertificateAuthority } from '../../../proto/security/pki.js';
import { readTlsMaterial, tlsFilesIn, writeTlsMaterial, type TlsMaterial } from '../../../proto/security/tls-credentials.js';
import { collectingLogger } from '../../support/logger.js';

describe('agent certificate renewal', () => {
  let ca: CertificateAuthority;
  let dir: string;
  before(async () => {
    ca = await createCertificateAuthority();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-renewal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is due two thirds into the lifetime counted from issue, not from the backdated notBefore', () => {
    const issued = Date.parse('2026-01-01T00:00:00Z');
    expect(renewalDue(new Date(issued - BACKDATE_MS), new Date(issued + 30_000)).toISOString()).to.equal('2026-01-01T00:00:20.000Z');
    expect(renewalDue(new Date(issued - BACKDATE_MS), new Date(issued + 300 * 86_400_000)).toISOString()).to.equal('2026-07-20T00:00:00.000Z');
  });

  async function writeNodeCertificate(validForMs: number): Promise<TlsMaterial> {
    const pair = await issueKeyAndCertificate(ca, subjectFor({ kind: 'node', nodeName: 'node-a' }), { usage: 'server-and-client', validForMs, dnsNames: ['node-a'] });
    const material = { caPem: ca.certPem, ...pair };
    writeTlsMaterial(dir, material);
    return material;
  }

  function renewer(signAs: () => string, logger = collectingLogger().logger): { renewer: CertificateRenewer; renewed: Promise<TlsMaterial> } {
    let resolve: (m: TlsMaterial) => void = () => undefined;
    const renewed = new Promise<TlsMaterial>((r) => (resolve = r));
    const r = new CertificateRenewer({
      tlsDir: dir,
      nodeName: 'node-a',
      renew: async (csrPem) => ({ certificatePem: await signCertificateRequest(ca, csrPem, subjectFor({ kind: 'node', nodeName: signAs() }), { usage: 'server-and-client', validForMs: 3_600_000, dnsNames: [signAs()] }), caPem: ca.certPem }),
      onRenewed: resolve,
      logger,
    });
    return { renewer: r, renewed };
  }

  it('renews a certificate that is due with a new key made here, writes the files and hands the agent the new credentials', async () => {
    const old = await writeNodeCertificate(1_500);
    const { renewer: r, renewed } = renewer(() => 'node-a');
    r.start();
    try {
      const material = await renewed;
      expect(readTlsMaterial(tlsFilesIn(dir))).to.deep.equal(material);
      expect(material.keyPem).to.not.equal(old.keyPem);
      expect(new X509Certificate(material.certPem).checkPrivateKey(createPrivateKey(material.keyPem))).to.equal(true);
      expect(describeCertificate(material.certPem).commonName).to.equal('system:node:node-a');
      expect(describeCertificate(material.certPem).notAfter.getTime()).to.be.greaterThan(describeCertificate(old.certPem).notAfter.getTime());
    } finally {
      r.stop();
    }
  });

  it('refuses an answer naming another node, keeps the old files, and succeeds when tried again', async () => {
    const old = await writeNodeCertificate(60_000);
    let name = 'node-b';
    const { logger, lines } = collectingLogger();
    const { renewer: r } = renewer(() => name, logger);
    const refused = await r.renewNow().then(() => '', (err: unknown) => (err as Error).message);
    expect(refused).to.equal('the renewed certificate does not name node node-a');
    expect(readTlsMaterial(tlsFilesIn(dir))).to.deep.equal(old);
    name = 'node-a';
    expect(describeCertificate((await r.renewNow()).certPem).commonName).to.equal('system:node:node-a');
    expect(lines).to.deep.equal([]);
  });
});
