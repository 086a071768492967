// Credential files and the gRPC credentials made from them. Every Berth server (control plane,
// agent) serves TLS only and requires a client certificate issued by the cluster CA; every client
// verifies the server against the same CA.
//
// Servers are checked by a fixed DNS name rather than by the address dialled: a control plane's
// certificate always carries CONTROL_PLANE_SERVER_NAME, an agent's carries its node name. The CA
// alone decides which names a certificate carries (a join request cannot ask for one), so a
// certificate with the name really is that server's, whichever address reached it: NAT, several
// control-plane addresses and addresses that change all keep working.
import * as grpc from '@grpc/grpc-js';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The DNS name every control plane's serving certificate carries and every client checks. */
export const CONTROL_PLANE_SERVER_NAME = 'berth-control-plane';

/** The three files of a credentials directory. */
export const TLS_FILE_NAMES = { ca: 'ca.crt', cert: 'tls.crt', key: 'tls.key' } as const;

/** Where a member's credentials are: the cluster CA certificate, its own certificate and key. */
export interface TlsFilePaths {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A member's credentials, PEM. */
export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** The standard file names inside `dir`. */
export function tlsFilesIn(dir: string): TlsFilePaths {
  return { caFile: join(dir, TLS_FILE_NAMES.ca), certFile: join(dir, TLS_FILE_NAMES.cert), keyFile: join(dir, TLS_FILE_NAMES.key) };
}

/** Reads the three files; a missing or non-PEM file is an error naming it. */
export function readTlsMaterial(paths: TlsFilePaths): TlsMaterial {
  return {
    caPem: readPem(paths.caFile, 'CERTIFICATE'),
    certPem: readPem(paths.certFile, 'CERTIFICATE'),
    keyPem: readPem(paths.keyFile, 'PRIVATE KEY'),
  };
}

/**
 * Writes the credentials into `dir` (created 0700): certificates 0644, the key 0600. Each file is
 * written under a temporary name and renamed, so a reader never sees half a key.
 */
export function writeTlsMaterial(dir: string, material: TlsMaterial): TlsFilePaths {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = tlsFilesIn(dir);
  writeAtomically(paths.caFile, material.caPem, 0o644);
  writeAtomically(paths.certFile, material.certPem, 0o644);
  writeAtomically(paths.keyFile, material.keyPem, 0o600);
  return paths;
}

/** Server credentials: TLS with `material`'s certificate (sent with the CA), client certificates required and verified against the CA. */
export function serverCredentials(material: TlsMaterial): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(
    Buffer.from(material.caPem),
    [{ private_key: Buffer.from(material.keyPem), cert_chain: Buffer.from(material.certPem + material.caPem) }],
    true,
  );
}

/** Client credentials: presents `material`'s certificate and trusts only the cluster CA. Pair with channelOptionsFor. */
export function channelCredentials(material: TlsMaterial): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(material.caPem), Buffer.from(material.keyPem), Buffer.from(material.certPem));
}

/** Channel options that make the client check the server's certificate for `serverName` (see the top of this file). */
export function channelOptionsFor(serverName: string): grpc.ChannelOptions {
  return { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName };
}

function readPem(path: string, label: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!text.includes(`-----BEGIN ${label}-----`)) throw new Error(`${path}: not a PEM ${label.toLowerCase()}`);
  return text.endsWith('\n') ? text : `${text}\n`;
}

function writeAtomically(path: string, text: string, mode: number): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, path);
}
