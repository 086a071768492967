/**
 * The tests' cluster PKI: one CA per mocha process (ECDSA, so making it and issuing take
 * milliseconds), and credentials for any identity, issued once and reused. Every control plane,
 * agent and client a test starts uses these, as a real cluster's members would use theirs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterClient } from '../../cli/client.js';
import { credentialFields, writeConfig } from '../../cli/config.js';
import type { ControlPlanePki } from '../../control-plane/tls/control-plane-pki.js';
import { CONTROL_PLANE_NAME, subjectFor, type CallerIdentity } from '../../proto/security/identity.js';
import { createCertificateAuthority, issueKeyAndCertificate, type CertificateAuthority, type CertificateUsage } from '../../proto/security/pki.js';
import { CONTROL_PLANE_SERVER_NAME, writeTlsMaterial, type TlsMaterial } from '../../proto/security/tls-credentials.js';

const DAY = 86_400_000;

/** The admin identity tests act as (ClusterAPI calls, the berth CLI). */
export const TEST_ADMIN: CallerIdentity = { kind: 'admin', name: 'test-admin' };
/** The control plane's identity, as every control plane has. */
export const TEST_CONTROL_PLANE: CallerIdentity = { kind: 'control-plane', name: CONTROL_PLANE_NAME };

let authority: Promise<CertificateAuthority> | undefined;
const issued = new Map<string, Promise<TlsMaterial>>();

/** The process's test CA (made on first use). */
export function testCa(): Promise<CertificateAuthority> {
  return (authority ??= createCertificateAuthority('berth-test-ca'));
}

/** Overrides for one certificate; the defaults suit each identity (see testCredentials). */
export interface TestCertificateOptions {
  usage?: CertificateUsage;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Issue with this CA instead of the process's (a stranger's certificate). */
  ca?: CertificateAuthority;
}

/**
 * Credentials for `identity`, issued by the test CA, with the cluster CA certificate. A node's
 * certificate names the node (its DNS name) and 127.0.0.1, as an agent serves; the control
 * plane's carries CONTROL_PLANE_SERVER_NAME; an admin's is a client certificate.
 */
export function testCredentials(identity: CallerIdentity, options: TestCertificateOptions = {}): Promise<TlsMaterial> {
  const key = JSON.stringify([identity, options.usage, options.dnsNames, options.ipAddresses, options.ca?.certPem]);
  let credentials = issued.get(key);
  if (!credentials) {
    credentials = issue(identity, options);
    issued.set(key, credentials);
  }
  return credentials;
}

async function issue(identity: CallerIdentity, options: TestCertificateOptions): Promise<TlsMaterial> {
  const ca = await testCa();
  const server = identity.kind === 'node' ? [identity.nodeName] : identity.kind === 'control-plane' ? [CONTROL_PLANE_SERVER_NAME, 'localhost'] : [];
  const pair = await issueKeyAndCertificate(options.ca ?? ca, subjectFor(identity), {
    usage: options.usage ?? (identity.kind === 'admin' ? 'client' : 'server-and-client'),
    validForMs: DAY,
    dnsNames: options.dnsNames ?? server,
    ipAddresses: options.ipAddresses ?? (server.length > 0 ? ['127.0.0.1'] : []),
  });
  // The CA a member trusts is always the cluster's, even when its own certificate is a stranger's.
  return { caPem: ca.certPem, ...pair };
}

/** The admin's credentials. */
export function testAdmin(): Promise<TlsMaterial> {
  return testCredentials(TEST_ADMIN);
}

/** A ClusterAPI client of `server`, acting as the test admin. */
export async function testClusterClient(server: string): Promise<ClusterClient> {
  return new ClusterClient(server, await testAdmin());
}

/** What a control plane is started with: its own credentials and the CA with its key. */
export async function testControlPlanePki(): Promise<ControlPlanePki> {
  return { tls: await testCredentials(TEST_CONTROL_PLANE), authority: await testCa() };
}

/** Writes a control plane's --pki-dir into `dir` (ca.crt, ca.key, tls.crt, tls.key). */
export async function writeTestPkiDir(dir: string): Promise<string> {
  const pki = await testControlPlanePki();
  writeTlsMaterial(dir, pki.tls);
  writeFileSync(join(dir, 'ca.key'), pki.authority?.keyPem ?? '', { mode: 0o600 });
  return dir;
}

/** Writes an agent's --tls-dir for node `nodeName` into `dir`. */
export async function writeTestNodeTlsDir(dir: string, nodeName: string): Promise<string> {
  writeTlsMaterial(dir, await testCredentials({ kind: 'node', nodeName }));
  return dir;
}

let cliConfig: Promise<string> | undefined;

/**
 * The path of a CLI config holding the test admin's credentials (and no server: tests give
 * BERTH_SERVER), written once per process and removed when it exits.
 */
export function testCliConfig(): Promise<string> {
  return (cliConfig ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-test-cli-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'config');
    writeConfig(credentialFields(await testAdmin()), path);
    return path;
  })());
}

/** Writes a CLI config at `path` for `server` with the test admin's credentials. */
export async function writeTestCliConfig(path: string, server?: string): Promise<string> {
  mkdirSync(join(path, '..'), { recursive: true });
  writeConfig({ ...(server ? { server } : {}), ...credentialFields(await testAdmin()) }, path);
  return path;
}
