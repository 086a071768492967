// Where `berth init` and `berth join` put a machine's files. The configuration directory (--dir,
// default /etc/berth) holds credentials and the environment files the systemd units read; the
// state directory (--state-dir, default /var/lib/berth) holds what the programs keep at run time.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { CliError } from '../errors.js';

export const DEFAULT_CONFIG_DIR = '/etc/berth';
export const DEFAULT_STATE_DIR = '/var/lib/berth';

/** The files of one machine. */
export interface MachineLayout {
  configDir: string;
  stateDir: string;
  /** The control plane's --pki-dir: ca.crt, ca.key, tls.crt, tls.key. */
  pkiDir: string;
  caKeyFile: string;
  encryptionKeyFile: string;
  controlPlaneEnv: string;
  controlPlaneDataDir: string;
  controlPlaneLog: string;
  /** The agent's --tls-dir: ca.crt, tls.crt, tls.key. */
  agentTlsDir: string;
  agentEnv: string;
  agentRoot: string;
  agentLog: string;
}

/** The layout under `configDir` and `stateDir`; both must be absolute and free of whitespace (the env files split arguments on it). */
export function machineLayout(configDir: string, stateDir: string): MachineLayout {
  for (const [flag, dir] of [['--dir', configDir], ['--state-dir', stateDir]] as const) {
    if (!isAbsolute(dir)) throw new CliError(`${flag} "${dir}" must be an absolute path`);
    if (/\s/.test(dir)) throw new CliError(`${flag} "${dir}" must not contain whitespace: the systemd environment files split arguments on it`);
  }
  return {
    configDir,
    stateDir,
    pkiDir: join(configDir, 'pki'),
    caKeyFile: join(configDir, 'pki', 'ca.key'),
    encryptionKeyFile: join(configDir, 'encryption-keys'),
    controlPlaneEnv: join(configDir, 'control-plane.env'),
    controlPlaneDataDir: join(stateDir, 'control-plane'),
    controlPlaneLog: join(stateDir, 'control-plane.log'),
    agentTlsDir: join(configDir, 'agent'),
    agentEnv: join(configDir, 'agent.env'),
    agentRoot: join(stateDir, 'agent'),
    agentLog: join(stateDir, 'agent.log'),
  };
}

/**
 * refuseExisting fails, naming them, when any of `paths` exists and --force was not given: a
 * second init or join would otherwise replace a working cluster's or node's credentials.
 */
export function refuseExisting(paths: string[], force: boolean, command: string): void {
  if (force) return;
  const found = paths.filter((p) => existsSync(p));
  if (found.length > 0) throw new CliError(`${found.join(', ')} already exist${found.length === 1 ? 's' : ''}: this machine was set up by berth ${command} before. Nothing was changed; berth ${command} --force replaces ${found.length === 1 ? 'it' : 'them'}`);
}
