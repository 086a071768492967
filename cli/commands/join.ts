import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseBootstrapToken } from '../../proto/security/bootstrap-token.js';
import { subjectFor } from '../../proto/security/identity.js';
import { caCertificateHash, createKeyAndCertificateRequest, describeCertificate } from '../../proto/security/pki.js';
import { writeTlsMaterial } from '../../proto/security/tls-credentials.js';
import { CliError } from '../errors.js';
import { AGENT_ARGS_VARIABLE, checkPassedFlag, writeEnvFile } from '../init/env-files.js';
import { machineLayout, refuseExisting } from '../init/layout.js';
import { checkIpv4, nodeNameOf } from '../init/machine.js';
import { agentService } from '../init/programs.js';
import { describeStarted, startService, type StartMode } from '../init/start-services.js';
import { requestJoin, type JoinedNode } from '../join/bootstrap-client.js';
import { checkCaPin, discoverPinnedCa, splitHostPort } from '../join/discovery.js';
import { isRunning, tail } from '../local-cluster/processes.js';
import { print } from './context.js';

/** The flags of `berth join`. */
export interface JoinOptions {
  token: string;
  discoveryTokenCaCertHash: string;
  dir: string;
  stateDir: string;
  nodeName?: string;
  nodeIp?: string;
  start: StartMode;
  force?: boolean;
  agentArg: string[];
}

/**
 * joinCommand adds this machine to a cluster as a node, as kubeadm join: it finds the cluster CA
 * at SERVER and trusts it only if its hash is the pin, makes the node's key here (it never leaves
 * the machine), has the control plane sign a certificate for it with the bootstrap token, then
 * writes the agent's credentials and environment file and starts the agent. Any refusal happens
 * before the first file is written.
 */
export async function joinClusterCommand(server: string, options: JoinOptions): Promise<void> {
  const layout = machineLayout(options.dir, options.stateDir);
  const { host } = splitHostPort(server, 'SERVER');
  if (!parseBootstrapToken(options.token)) throw new CliError('--token is not of the form <6 characters>.<16 characters> of [a-z0-9], as berth token create prints it');
  const pin = checkCaPin(options.discoveryTokenCaCertHash);
  const nodeName = nodeNameOf(options.nodeName);
  const nodeIpFlag = options.nodeIp ? checkIpv4(options.nodeIp, '--node-ip') : undefined;
  const extra = options.agentArg.map((f) => checkPassedFlag(f, '--agent-arg'));
  refuseExisting([layout.agentEnv, join(layout.agentTlsDir, 'tls.crt')], options.force ?? false, 'join');

  const discovered = await discoverPinnedCa(server, pin);
  print(`The control plane at ${server} presents the pinned CA (${pin}).`);
  const { keyPem, csrPem } = await createKeyAndCertificateRequest(subjectFor({ kind: 'node', nodeName }));
  const joined = await requestJoin(server, discovered.caPem, { token: options.token.trim(), nodeName, csrPem });
  checkIssued(joined, keyPem, pin, nodeName);

  const nodeIp = nodeIpFlag ?? discovered.localAddress;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const args = [`--server=${hostPart}:${joined.nodeApiPort}`, `--name=${nodeName}`, `--tls-dir=${layout.agentTlsDir}`, `--root=${layout.agentRoot}`, `--node-ip=${nodeIp}`, ...extra];
  writeTlsMaterial(layout.agentTlsDir, { caPem: discovered.caPem, certPem: joined.certificatePem, keyPem });
  writeEnvFile(layout.agentEnv, AGENT_ARGS_VARIABLE, args, 'berth join');
  const { notAfter } = describeCertificate(joined.certificatePem);
  print(`Node ${nodeName} has its certificate (valid until ${notAfter.toISOString()}; the agent renews it) in ${layout.agentTlsDir}.`);
  mkdirSync(layout.stateDir, { recursive: true, mode: 0o700 });
  const started = await startService(agentService(layout, args), options.start);
  if (started.how === 'process') await checkStillRunning(started.pid, layout.agentRoot, layout.agentLog);
  print(describeStarted(`The agent of node ${nodeName}`, started));
  print(`This machine joins the cluster as node ${nodeName} (${nodeIp}); berth get nodes on the control plane shows it.`);
}

/** An agent that cannot start (its flags, its files) exits within moments: say so with its log rather than report success. */
async function checkStillRunning(pid: number, marker: string, log: string): Promise<void> {
  for (let waited = 0; waited < 3_000; waited += 250) {
    if (!isRunning(pid, marker)) throw new CliError(`the agent exited at once. Last lines of ${log}:\n${tail(log)}\nOnce the cause is fixed, start it again (berth join --force with a new token, or systemctl start berth-agent)`);
    await sleep(250);
  }
}

/** What came back must be the certificate asked for: signed by the pinned CA, for this key, naming this node. */
function checkIssued(joined: JoinedNode, keyPem: string, pin: string, nodeName: string): void {
  const problem = (what: string): CliError => new CliError(`the control plane answered the join with ${what}; nothing was written`);
  if (caCertificateHash(joined.caPem) !== pin) throw problem('another CA than the pinned one');
  const cert = new X509Certificate(joined.certificatePem);
  if (!cert.verify(new X509Certificate(joined.caPem).publicKey)) throw problem('a certificate the pinned CA did not sign');
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw problem('a certificate for another key');
  if (describeCertificate(joined.certificatePem).commonName !== subjectFor({ kind: 'node', nodeName }).commonName) throw problem(`a certificate that does not name node ${nodeName}`);
  if (!Number.isInteger(joined.nodeApiPort) || joined.nodeApiPort < 1 || joined.nodeApiPort > 65535) throw problem(`no NodeAPI port (${joined.nodeApiPort})`);
}
