// The CLI config as `berth init` writes it for the cluster's first admin, and what `berth token
// create --print-join-command` reads back from it (the server and the cluster CA).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse, stringify } from 'yaml';
import { configPath } from '../config.js';
import { CliError } from '../errors.js';

/** An admin's credentials for one cluster, PEM. */
export interface AdminCredentials {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** Writes the CLI config (mode 0600, atomically) for `credentials`, as kubeconfig's `*-data` fields. */
export function writeAdminConfig(credentials: AdminCredentials, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const text = stringify({
    server: credentials.server,
    certificateAuthorityData: b64(credentials.caPem),
    clientCertificateData: b64(credentials.certPem),
    clientKeyData: b64(credentials.keyPem),
  });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, path);
}

/** The cluster CA certificate the CLI config trusts, or an error saying the config has none. */
export function readConfiguredCaPem(path = configPath()): string {
  let parsed: unknown;
  try {
    parsed = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CliError(`${path}: cannot read the CLI config (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); berth init writes it`);
  }
  const data = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).certificateAuthorityData : undefined;
  if (typeof data !== 'string' || data === '') throw new CliError(`${path}: no certificateAuthorityData; the join command needs the cluster CA (berth init writes it)`);
  return Buffer.from(data, 'base64').toString('utf8');
}
