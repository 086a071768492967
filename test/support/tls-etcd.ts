/**
 * A real etcd (Debian's) that serves TLS only and requires client certificates
 * (--client-cert-auth), with a CA of its own, as an external etcd of a production cluster does.
 * Its files (CA, server and client certificates) are in `dir` for the control plane's
 * --etcd-cafile, --etcd-certfile and --etcd-keyfile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectEtcd } from '../../control-plane/store/etcd-client.js';
import { createCertificateAuthority, issueKeyAndCertificate } from '../../proto/security/pki.js';
import { freePort } from './ports.js';

const DAY = 86_400_000;

/** TlsEtcd is one running TLS etcd and its files. */
export interface TlsEtcd {
  /** https://127.0.0.1:<port> */
  endpoint: string;
  caFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  pid: number;
  /** Stops etcd by its pid and removes its directory. */
  stop(): Promise<void>;
}

/** startTlsEtcd starts etcd with client certificate authentication and waits until a client with the certificate is answered. */
export async function startTlsEtcd(): Promise<TlsEtcd> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tls-etcd-'));
  const ca = await createCertificateAuthority('etcd-ca');
  const server = await issueKeyAndCertificate(ca, { commonName: 'etcd', organizations: [] }, { usage: 'server-and-client', validForMs: DAY, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const client = await issueKeyAndCertificate(ca, { commonName: 'berth-control-plane', organizations: [] }, { usage: 'client', validForMs: DAY });
  const file = (name: string, text: string, mode = 0o600): string => {
    writeFileSync(join(dir, name), text, { mode });
    return join(dir, name);
  };
  const caFile = file('ca.crt', ca.certPem, 0o644);
  const paths = { caFile, clientCertFile: file('client.crt', client.certPem, 0o644), clientKeyFile: file('client.key', client.keyPem) };
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `https://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const log = openSync(join(dir, 'etcd.log'), 'a');
  const child: ChildProcess = spawn(
    'etcd',
    [
      '--name', 'tls', '--data-dir', join(dir, 'data'),
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `tls=${peer}`,
      '--client-cert-auth', '--trusted-ca-file', caFile,
      '--cert-file', file('server.crt', server.certPem, 0o644), '--key-file', file('server.key', server.keyPem),
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitAnswering(endpoint, paths, child, join(dir, 'etcd.log'));
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, ...paths, pid: child.pid ?? 0, stop };
}

async function waitAnswering(endpoint: string, paths: { caFile: string; clientCertFile: string; clientKeyFile: string }, child: ChildProcess, logFile: string): Promise<void> {
  const read = (path: string) => readFileSync(path, 'utf8');
  const client = connectEtcd([endpoint], { caPem: read(paths.caFile), client: { certPem: read(paths.clientCertFile), keyPem: read(paths.clientKeyFile) } });
  const deadline = Date.now() + 20_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`TLS etcd exited (${child.exitCode}): ${read(logFile).slice(-2000)}`);
      try {
        await client.get('/probe').string();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`TLS etcd at ${endpoint} did not answer in 20 s (${(err as Error).message}): ${read(logFile).slice(-2000)}`);
        await sleep(100);
      }
    }
  } finally {
    client.close();
  }
}
