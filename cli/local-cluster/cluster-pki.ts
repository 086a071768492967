/**
 * The certificates of a local cluster, all under <state dir>/pki (removed with the state dir by
 * `berth down`):
 *   pki/ca.crt, ca.key, tls.crt, tls.key   the cluster CA and the control plane's certificate
 *                                          (the control plane's --pki-dir)
 *   pki/nodes/<node>/ca.crt, tls.crt, tls.key
 *                                          each node's certificate (its agent's --tls-dir)
 * The admin's certificate is not kept there: it goes into the CLI config only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROL_PLANE_NAME, subjectFor } from '../../proto/security/identity.js';
import { createCertificateAuthority, issueKeyAndCertificate, type CertificateAuthority } from '../../proto/security/pki.js';
import { CONTROL_PLANE_SERVER_NAME, TLS_FILE_NAMES, writeTlsMaterial, type TlsMaterial } from '../../proto/security/tls-credentials.js';
import { CliError } from '../errors.js';

/** The CA key's file name in the control plane's PKI directory. */
const CA_KEY = 'ca.key';
/** Certificates of a local cluster last a year, as kubeadm's; `berth up` again after that makes a new cluster. */
const CERTIFICATE_VALIDITY_MS = 365 * 86_400_000;
/** The name in the admin certificate `berth up` writes to the CLI config. */
export const LOCAL_ADMIN_NAME = 'berth-admin';

/** The control plane's --pki-dir. */
export function controlPlanePkiDir(stateDir: string): string {
  return join(stateDir, 'pki');
}

/** A node's agent --tls-dir. */
export function nodeTlsDir(stateDir: string, nodeName: string): string {
  return join(stateDir, 'pki', 'nodes', nodeName);
}

/**
 * createClusterPki makes the local cluster's CA and the control plane's certificate (valid for
 * the names and addresses clients dial it at: CONTROL_PLANE_SERVER_NAME, localhost, 127.0.0.1
 * and `serverIp`).
 */
export async function createClusterPki(stateDir: string, clusterName: string, serverIp: string): Promise<void> {
  const ca = await createCertificateAuthority(`berth-${clusterName}-ca`);
  const serving = await issueKeyAndCertificate(ca, subjectFor({ kind: 'control-plane', name: CONTROL_PLANE_NAME }), {
    usage: 'server-and-client',
    validForMs: CERTIFICATE_VALIDITY_MS,
    dnsNames: [CONTROL_PLANE_SERVER_NAME, 'localhost'],
    ipAddresses: [...new Set(['127.0.0.1', serverIp])],
  });
  const dir = controlPlanePkiDir(stateDir);
  writeTlsMaterial(dir, { caPem: ca.certPem, ...serving });
  writeFileSync(join(dir, CA_KEY), ca.keyPem, { mode: 0o600 });
}

/** issueNodeTls writes a node's certificate (DNS name = the node's name, as the control plane checks when it calls the agent). */
export async function issueNodeTls(stateDir: string, nodeName: string, nodeIp: string): Promise<string> {
  const ca = readAuthority(stateDir);
  const pair = await issueKeyAndCertificate(ca, subjectFor({ kind: 'node', nodeName }), { usage: 'server-and-client', validForMs: CERTIFICATE_VALIDITY_MS, dnsNames: [nodeName], ipAddresses: [nodeIp] });
  const dir = nodeTlsDir(stateDir, nodeName);
  writeTlsMaterial(dir, { caPem: ca.certPem, ...pair });
  return dir;
}

/** issueAdminCredentials makes a fresh admin certificate of the local cluster, for the CLI config. */
export async function issueAdminCredentials(stateDir: string): Promise<TlsMaterial> {
  const ca = readAuthority(stateDir);
  const pair = await issueKeyAndCertificate(ca, subjectFor({ kind: 'admin', name: LOCAL_ADMIN_NAME }), { usage: 'client', validForMs: CERTIFICATE_VALIDITY_MS });
  return { caPem: ca.certPem, ...pair };
}

function readAuthority(stateDir: string): CertificateAuthority {
  const dir = controlPlanePkiDir(stateDir);
  const read = (file: string): string => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch (err) {
      throw new CliError(`${join(dir, file)}: cannot read the local cluster's CA (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); berth down and berth up make a new cluster`);
    }
  };
  return { certPem: read(TLS_FILE_NAMES.ca), keyPem: read(CA_KEY) };
}
