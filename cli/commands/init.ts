import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Node } from '../../proto/objects/cluster.js';
import { isReady } from '../../proto/objects/conditions.js';
import { writeTlsMaterial } from '../../proto/security/tls-credentials.js';
import { ClusterClient } from '../client.js';
import type { TlsMaterial } from '../../proto/security/tls-credentials.js';
import { configPath, credentialFields, writeConfig } from '../config.js';
import { CliError } from '../errors.js';
import { makeClusterCredentials } from '../init/credentials.js';
import { AGENT_ARGS_VARIABLE, CONTROL_PLANE_ARGS_VARIABLE, checkPassedFlag, writeEnvFile } from '../init/env-files.js';
import { machineLayout, refuseExisting, type MachineLayout } from '../init/layout.js';
import { checkIpv4, defaultAdvertiseAddress, nodeNameOf } from '../init/machine.js';
import { agentService, controlPlaneService } from '../init/programs.js';
import { describeStarted, startService, type StartMode } from '../init/start-services.js';
import { isRunning, tail } from '../local-cluster/processes.js';
import { createBootstrapToken, joinCommand } from './token.js';
import { print } from './context.js';

/** The flags of `berth init`. */
export interface InitOptions {
  dir: string;
  stateDir: string;
  advertiseAddress?: string;
  port: number;
  certSans: string[];
  nodeName?: string;
  /** false with --no-agent: this machine runs the control plane only. */
  agent: boolean;
  adminName: string;
  tokenTtl: number;
  nodeCertificateValidity: number;
  start: StartMode;
  force?: boolean;
  controlPlaneArg: string[];
  agentArg: string[];
  timeout: number;
}

/**
 * initCommand makes a new cluster on this machine, as kubeadm init: the CA and every certificate,
 * the Secret encryption key, the environment files of the systemd units and the admin's CLI
 * config; then starts the control plane (and an agent, so this machine is a node too, unless
 * --no-agent), makes a first bootstrap token and prints the join command for other machines.
 * Every check runs before the first file is written.
 */
export async function initCommand(options: InitOptions): Promise<void> {
  const layout = machineLayout(options.dir, options.stateDir);
  const advertise = options.advertiseAddress ? checkIpv4(options.advertiseAddress, '--advertise-address') : await defaultAdvertiseAddress();
  const nodeName = options.agent ? nodeNameOf(options.nodeName) : undefined;
  const controlPlaneExtra = options.controlPlaneArg.map((f) => checkPassedFlag(f, '--control-plane-arg'));
  const agentExtra = options.agentArg.map((f) => checkPassedFlag(f, '--agent-arg'));
  for (const san of options.certSans) if (!/^[A-Za-z0-9.:*-]+$/.test(san)) throw new CliError(`--cert-sans "${san}" is neither a DNS name nor an IP address`);
  refuseExisting([join(layout.pkiDir, 'ca.crt'), layout.caKeyFile, layout.controlPlaneEnv, layout.agentEnv, join(layout.agentTlsDir, 'tls.crt'), configPath()], options.force ?? false, 'init');

  const server = `${advertise}:${options.port}`;
  const credentials = await makeClusterCredentials({ advertiseAddress: advertise, certSans: options.certSans, adminName: options.adminName, nodeValidityMs: options.nodeCertificateValidity, ...(nodeName ? { nodeName } : {}) });
  writeTlsMaterial(layout.pkiDir, { caPem: credentials.ca.certPem, ...credentials.controlPlane });
  writeSecretFile(layout.caKeyFile, credentials.ca.keyPem);
  // An existing key file is kept (init --force): Secrets already in etcd stay readable.
  if (!existsSync(layout.encryptionKeyFile)) writeSecretFile(layout.encryptionKeyFile, `# Secret encryption keys: the first encrypts, all decrypt.\nkey1:${randomKey()}\n`);
  const controlPlaneArgs = [
    `--listen=${server}`,
    `--pki-dir=${layout.pkiDir}`,
    `--data-dir=${layout.controlPlaneDataDir}`,
    `--encryption-key-file=${layout.encryptionKeyFile}`,
    `--node-certificate-validity=${Math.round(options.nodeCertificateValidity / 1000)}s`,
    ...controlPlaneExtra,
  ];
  writeEnvFile(layout.controlPlaneEnv, CONTROL_PLANE_ARGS_VARIABLE, controlPlaneArgs, 'berth init');
  const agentArgs = nodeName ? [`--server=${server}`, `--name=${nodeName}`, `--tls-dir=${layout.agentTlsDir}`, `--root=${layout.agentRoot}`, `--node-ip=${advertise}`, ...agentExtra] : [];
  if (nodeName && credentials.node) {
    writeTlsMaterial(layout.agentTlsDir, { caPem: credentials.ca.certPem, ...credentials.node });
    writeEnvFile(layout.agentEnv, AGENT_ARGS_VARIABLE, agentArgs, 'berth init');
  }
  const admin: TlsMaterial = { caPem: credentials.ca.certPem, ...credentials.admin };
  writeConfig({ server, ...credentialFields(admin) });
  print(`Cluster CA, certificates and keys written to ${layout.pkiDir}${nodeName ? ` and ${layout.agentTlsDir}` : ''}; the admin's CLI config to ${configPath()}.`);

  mkdirSync(layout.stateDir, { recursive: true, mode: 0o700 });
  const controlPlane = await startService(controlPlaneService(layout, controlPlaneArgs), options.start);
  print(describeStarted('The control plane', controlPlane));
  if (controlPlane.how === 'none') {
    print(`Once it runs: ${nodeName ? `start the agent (berth-agent.service, flags in ${layout.agentEnv}), then ` : ''}berth token create --print-join-command`);
    return;
  }
  await waitControlPlane(server, admin, controlPlane.how === 'process' ? controlPlane.pid : undefined, layout, options.timeout);
  const token = await withAdmin(server, admin, (client) => createBootstrapToken(client, { ttlMs: options.tokenTtl, description: 'made by berth init' }));
  if (nodeName) {
    const agent = await startService(agentService(layout, agentArgs), options.start);
    print(describeStarted(`The agent of node ${nodeName}`, agent));
    if (agent.how !== 'none') await waitNodeReady(server, admin, nodeName, agent.how === 'process' ? agent.pid : undefined, layout, options.timeout);
  }
  print('');
  print(`Your Berth control plane is running at ${server}. To add a machine, run this on it as root:`);
  print('');
  print(`  ${joinCommand(server, credentials.ca.certPem, token)}`);
  print('');
  print(`The token expires ${options.tokenTtl > 0 ? `in ${Math.round(options.tokenTtl / 3_600_000)} h` : 'never'}; berth token create --print-join-command makes another.`);
}

async function withAdmin<T>(server: string, admin: TlsMaterial, body: (client: ClusterClient) => Promise<T>): Promise<T> {
  const client = new ClusterClient(server, admin);
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

/** Waits until ClusterAPI answers the admin; a process that exits, or the timeout, fails with the end of its log. */
async function waitControlPlane(server: string, admin: TlsMaterial, pid: number | undefined, layout: MachineLayout, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await withAdmin(server, admin, (client) => client.list({ resource: 'namespaces' }));
      return;
    } catch (err) {
      const exited = pid !== undefined && !isRunning(pid, layout.controlPlaneDataDir);
      if (exited || Date.now() > deadline) {
        throw new CliError(`the control plane ${exited ? 'exited' : `did not answer within ${timeoutMs / 1000} s`} (${(err as Error).message}). ${logOf(pid, layout.controlPlaneLog, 'berth-control-plane.service')}${AFTER_FAILURE}`);
      }
      await sleep(250);
    }
  }
}

async function waitNodeReady(server: string, admin: TlsMaterial, nodeName: string, pid: number | undefined, layout: MachineLayout, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const node = (await withAdmin(server, admin, (client) => client.get('nodes', '', nodeName)).catch(() => undefined)) as Node | undefined;
    if (node && isReady(node)) return;
    const exited = pid !== undefined && !isRunning(pid, layout.agentRoot);
    if (exited || Date.now() > deadline) throw new CliError(`node ${nodeName} ${exited ? 'lost its agent' : `is not Ready after ${timeoutMs / 1000} s`}. ${logOf(pid, layout.agentLog, 'berth-agent.service')}${AFTER_FAILURE}`);
    await sleep(250);
  }
}

/** What to do once the cause of a failed start is fixed: the files are written, so a second init needs --force. */
const AFTER_FAILURE = '\nThe cluster\'s files are written; once the cause is fixed, run berth init --force again.';

/** Where a program's log is: the end of its file for a process, journalctl for a unit. */
function logOf(pid: number | undefined, file: string, unit: string): string {
  return pid === undefined ? `See journalctl -u ${unit}.` : `Last lines of ${file}:\n${tail(file)}`;
}

/** A Secret encryption key: 32 random bytes, base64, as the control plane's key file holds them. */
function randomKey(): string {
  return randomBytes(32).toString('base64');
}

/** Writes a key file 0600 under a temporary name first, so no reader ever sees half of it. */
function writeSecretFile(path: string, text: string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, path);
}
