// The cluster's certificate authority: one self-signed ECDSA P-256 CA per cluster, which issues
// the control planes', agents' and users' certificates. Keys never leave the process that made
// them except as PEM files written with mode 0600 by the caller.
//
// @peculiar/x509 builds the ASN.1; tsyringe underneath it needs the Reflect metadata polyfill,
// which must be loaded before the library.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

// The library's types name the DOM's Crypto and CryptoKey; Node's webcrypto is the same API.
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Issued certificates start this far in the past so that small clock skew between machines does not make them "not yet valid". */
export const BACKDATE_MS = 5 * 60_000;

/** A certificate and its private key, both PEM. */
export interface PemKeyPair {
  certPem: string;
  keyPem: string;
}

/** The cluster CA: its certificate (public, given to every member) and its key (control planes only). */
export type CertificateAuthority = PemKeyPair;

/** Who a certificate names: the common name and the organizations (Kubernetes reads groups from O). */
export interface CertificateSubject {
  commonName: string;
  organizations: string[];
}

/** What an issued certificate may be used for (its extended key usage). */
export type CertificateUsage = 'server' | 'client' | 'server-and-client';

/** How to issue a certificate. */
export interface IssueOptions {
  usage: CertificateUsage;
  validForMs: number;
  /** Subject alternative names; a server certificate needs the names and addresses clients dial. */
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** Raised for a certificate request that is malformed or whose signature does not verify. */
export class CertificateRequestError extends Error {
  override readonly name = 'CertificateRequestError';
}

/** Makes a new cluster CA, valid for `validForDays` (default 10 years, as kubeadm's). */
export async function createCertificateAuthority(commonName = 'berth-ca', validForDays = 3650): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: distinguishedName({ commonName, organizations: [] }),
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + validForDays * 86_400_000),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: pem(cert.toString('pem')), keyPem: await privateKeyPem(keys.privateKey) };
}

/** Makes a private key and a certificate signing request for `subject`, as a joining node does. */
export async function createKeyAndCertificateRequest(subject: CertificateSubject): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await generateKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: distinguishedName(subject), keys, signingAlgorithm: ALGORITHM });
  return { keyPem: await privateKeyPem(keys.privateKey), csrPem: pem(csr.toString('pem')) };
}

/** The subject a certificate signing request asks for. Throws CertificateRequestError if it is not a PEM CSR. */
export function certificateRequestSubject(csrPem: string): CertificateSubject {
  return subjectOf(parseRequest(csrPem).subjectName);
}

/**
 * Issues a certificate for the public key in `csrPem`, after checking the request's signature (so
 * the requester holds the key). The subject is the one given here, never the one the request asks
 * for: the caller decides who the requester is.
 */
export async function signCertificateRequest(ca: CertificateAuthority, csrPem: string, subject: CertificateSubject, options: IssueOptions): Promise<string> {
  const request = parseRequest(csrPem);
  if (!(await request.verify())) throw new CertificateRequestError('certificate signing request: the signature does not match its public key');
  return issue(ca, await request.publicKey.export(ALGORITHM, ['verify']), subject, options);
}

/** Makes a key and issues its certificate in one step (for `berth up`, `berth init` and tests). */
export async function issueKeyAndCertificate(ca: CertificateAuthority, subject: CertificateSubject, options: IssueOptions): Promise<PemKeyPair> {
  const keys = await generateKeys();
  return { certPem: await issue(ca, keys.publicKey, subject, options), keyPem: await privateKeyPem(keys.privateKey) };
}

/**
 * The pin a joining machine checks before it trusts a CA: "sha256:" and the hex SHA-256 of the CA
 * certificate's SubjectPublicKeyInfo, the same form as kubeadm's --discovery-token-ca-cert-hash.
 */
export function caCertificateHash(caCertPem: string): string {
  const spki = new X509Certificate(caCertPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** The subject and validity of a PEM certificate. */
export function describeCertificate(certPem: string): CertificateSubject & { notBefore: Date; notAfter: Date; serialNumber: string } {
  const cert = new x509.X509Certificate(certPem);
  return { ...subjectOf(cert.subjectName), notBefore: cert.notBefore, notAfter: cert.notAfter, serialNumber: cert.serialNumber };
}

async function issue(ca: CertificateAuthority, publicKey: CryptoKey, subject: CertificateSubject, options: IssueOptions): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importPrivateKey(ca.keyPem);
  const now = Date.now();
  const notAfter = Math.min(now + options.validForMs, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: distinguishedName(subject),
    issuer: caCert.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(notAfter),
    publicKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(extendedUsages(options.usage)),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      ...subjectAlternativeNames(options),
    ],
  });
  return pem(cert.toString('pem'));
}

function extendedUsages(usage: CertificateUsage): x509.ExtendedKeyUsage[] {
  if (usage === 'server') return [x509.ExtendedKeyUsage.serverAuth];
  if (usage === 'client') return [x509.ExtendedKeyUsage.clientAuth];
  return [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
}

function subjectAlternativeNames(options: IssueOptions): x509.Extension[] {
  const names: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => {
      if (isIP(value) === 0) throw new Error(`certificate: ${JSON.stringify(value)} is not an IP address`);
      return { type: 'ip' as const, value };
    }),
  ];
  return names.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(names)];
}

function parseRequest(csrPem: string): x509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new CertificateRequestError(`certificate signing request: not a PEM PKCS#10 request (${(err as Error).message})`);
  }
}

function subjectOf(name: x509.Name): CertificateSubject {
  return { commonName: name.getField('CN')[0] ?? '', organizations: name.getField('O') };
}

/** Builds the distinguished name as JSON, so a name containing commas or '=' cannot inject fields. */
function distinguishedName(subject: CertificateSubject): x509.Name {
  return new x509.Name([{ CN: [subject.commonName] }, ...subject.organizations.map((o) => ({ O: [o] }))]);
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

async function importPrivateKey(keyPem: string): Promise<CryptoKey> {
  const body = keyPem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  return (await webcrypto.subtle.importKey('pkcs8', Buffer.from(body, 'base64'), ALGORITHM, false, ['sign'])) as CryptoKey;
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // a positive INTEGER
  return bytes.toString('hex');
}

/** Node's TLS wants every PEM block to end with a newline; the library's output does not. */
function pem(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
