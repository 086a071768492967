#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseIpv4Cidr } from '../proto/ipv4.js';
import type { Ipv4Range } from '../proto/ipv4.js';
import { DEFAULT_SERVICE_CIDR } from './api/service-allocation.js';
import { ControlPlane } from './control-plane.js';
import { createLogger } from './log.js';
import { readEtcdTls, type EtcdTls } from './store/etcd-tls.js';
import { loadControlPlanePki, type ControlPlanePki } from './tls/control-plane-pki.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a port number`);
  return n;
}

/** serviceRange reads the --service-cluster-ip-range CIDR. */
function serviceRange(value: string): Ipv4Range {
  const range = parseIpv4Cidr(value);
  if (!range) throw new InvalidArgumentError(`"${value}" is not an IPv4 CIDR such as 10.96.0.0/16`);
  if (range.prefix < 12 || range.prefix > 28) throw new InvalidArgumentError(`"${value}" must be between a /12 and a /28: it holds every Service's address`);
  return range;
}

/** duration reads "5s", "800ms", "1m" or a plain number of seconds, in milliseconds. */
function duration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`"${value}" is not a duration: use e.g. 5s, 800ms or 1m`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

const program = new Command('berth-control-plane')
  .description('Berth control plane: ClusterAPI over gRPC, desired state in etcd.')
  .option('--listen <host:port>', 'address to serve ClusterAPI on', '127.0.0.1:6443')
  .option('--etcd-endpoints <urls>', 'comma-separated etcd client URLs; without it an embedded etcd is started', '')
  .option('--etcd-cafile <path>', 'CA certificate (PEM) that verifies the external etcd\'s serving certificate; makes the etcd connection TLS')
  .option('--etcd-certfile <path>', 'client certificate (PEM) presented to an etcd that requires one (--client-cert-auth); needs --etcd-cafile and --etcd-keyfile')
  .option('--etcd-keyfile <path>', 'private key (PEM) of --etcd-certfile')
  .option('--pki-dir <dir>', 'the control plane\'s credentials: ca.crt (the cluster CA), tls.crt and tls.key (its certificate, for serving and for calling agents), and ca.key to issue certificates (optional)', '/etc/berth/pki')
  .option('--data-dir <dir>', 'state directory (the embedded etcd keeps its data in <dir>/etcd)', '/var/lib/berth/control-plane')
  .option('--embedded-etcd-port <port>', 'client port of the embedded etcd (its peer port is the next one)', port, 2379)
  .option('--node-grace-period <duration>', 'lease silence before a node is NotReady and its pods are replaced (e.g. 5s, 800ms)', duration, 5000)
  .addOption(
    new Option('--service-cluster-ip-range <cidr>', "IPv4 CIDR that Services' ClusterIPs are allocated from (the first address goes to the kubernetes Service)")
      .argParser(serviceRange)
      .default(serviceRange(DEFAULT_SERVICE_CIDR), DEFAULT_SERVICE_CIDR),
  )
  .option('--encryption-key-file <path>', 'Secret encryption keys, one `<name>:<base64 of 32 bytes>` per line: the first encrypts, all decrypt (created with a fresh key when missing; default <data-dir>/encryption-keys)')
  .option('--no-controllers', 'serve the APIs only: never campaign for leadership, run no controllers or scheduler')
  .option('--log-level <level>', 'error, warn, info or debug', process.env.BERTH_LOG_LEVEL ?? 'info')
  .parse();

const opts = program.opts<{ listen: string; etcdEndpoints: string; etcdCafile?: string; etcdCertfile?: string; etcdKeyfile?: string; pkiDir: string; dataDir: string; embeddedEtcdPort: number; nodeGracePeriod: number; serviceClusterIpRange: Ipv4Range; controllers: boolean; logLevel: string; encryptionKeyFile?: string }>();
const logger = createLogger(opts.logLevel);
const etcdEndpoints = opts.etcdEndpoints.split(',').map((s) => s.trim()).filter((s) => s !== '');

/** The credential files, read before anything starts: a missing or wrong one is named and nothing is changed. */
function readCredentials(): { pki: ControlPlanePki; etcdTls?: EtcdTls } {
  const pki = loadControlPlanePki(opts.pkiDir);
  const etcdFiles = [opts.etcdCafile, opts.etcdCertfile, opts.etcdKeyfile];
  if (etcdFiles.every((f) => f === undefined)) return { pki };
  if (etcdEndpoints.length === 0) throw new Error('--etcd-cafile, --etcd-certfile and --etcd-keyfile are for an external etcd: give --etcd-endpoints too (the embedded etcd listens on loopback without TLS)');
  if (opts.etcdCafile === undefined) throw new Error('--etcd-certfile and --etcd-keyfile need --etcd-cafile: the CA that verifies etcd\'s serving certificate');
  return { pki, etcdTls: readEtcdTls({ caFile: opts.etcdCafile, ...(opts.etcdCertfile ? { certFile: opts.etcdCertfile } : {}), ...(opts.etcdKeyfile ? { keyFile: opts.etcdKeyfile } : {}) }) };
}

let credentials: ReturnType<typeof readCredentials>;
try {
  credentials = readCredentials();
} catch (err) {
  logger.error('control plane cannot start', { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

const controlPlane = new ControlPlane({
  listen: opts.listen,
  etcdEndpoints,
  ...credentials,
  dataDir: opts.dataDir,
  embeddedEtcdClientPort: opts.embeddedEtcdPort,
  embeddedEtcdPeerPort: opts.embeddedEtcdPort + 1,
  nodeGracePeriodMs: opts.nodeGracePeriod,
  serviceClusterIpRange: opts.serviceClusterIpRange,
  runControllers: opts.controllers,
  ...(opts.encryptionKeyFile ? { encryptionKeyFile: opts.encryptionKeyFile } : {}),
  logger,
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info('shutting down', { signal });
  await controlPlane.stop();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

controlPlane.start().catch((err: unknown) => {
  logger.error('control plane failed to start', { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
