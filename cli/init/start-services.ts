// How `berth init` and `berth join` start what they set up: through systemd when it runs this
// machine and the unit is installed (enabled, so it comes back after a reboot), else as a
// detached process with a pid file (containers, test labs, machines without systemd), or not
// at all (--start none: the command to run is printed instead).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { CliError } from '../errors.js';
import { isRunning, spawnDetached, stopProcess } from '../local-cluster/processes.js';

const exec = promisify(execFile);

/** --start: auto (systemd if it runs and has the unit, else a process), systemd, process or none. */
export type StartMode = 'auto' | 'systemd' | 'process' | 'none';
export const START_MODES: readonly StartMode[] = ['auto', 'systemd', 'process', 'none'];

/** One program to start. */
export interface ServiceSpec {
  /** The systemd unit, e.g. berth-agent.service. */
  unit: string;
  /** The command (program and flags) a process start runs; the unit runs the same flags from its env file. */
  command: string[];
  log: string;
  pidFile: string;
  /** Text of the command line that identifies this program's process (never trust a pid alone). */
  marker: string;
}

/** How a program was started. */
export type Started = { how: 'systemd'; unit: string } | { how: 'process'; pid: number; log: string } | { how: 'none'; command: string };

async function systemdHasUnit(unit: string): Promise<boolean> {
  if (!existsSync('/run/systemd/system')) return false;
  return exec('systemctl', ['cat', unit]).then(() => true, () => false);
}

/** Starts `spec` as `mode` says; a process already started for the same files (a --force re-run) is stopped first. */
export async function startService(spec: ServiceSpec, mode: StartMode): Promise<Started> {
  const how = mode === 'auto' ? ((await systemdHasUnit(spec.unit)) ? 'systemd' : 'process') : mode;
  if (how === 'none') return { how, command: spec.command.join(' ') };
  if (how === 'systemd') {
    if (!(await systemdHasUnit(spec.unit))) throw new CliError(`--start systemd: systemd does not run here or has no ${spec.unit}; install manifests/systemd/${spec.unit} into /etc/systemd/system and run systemctl daemon-reload`);
    try {
      await exec('systemctl', ['enable', spec.unit]);
      await exec('systemctl', ['restart', spec.unit]);
    } catch (err) {
      throw new CliError(`systemctl could not start ${spec.unit}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}; see journalctl -u ${spec.unit}`);
    }
    return { how, unit: spec.unit };
  }
  await stopRecordedProcess(spec);
  const [file = '', ...args] = spec.command;
  const pid = spawnDetached(file, args, spec.log);
  writeFileSync(spec.pidFile, `${pid}\n`, { mode: 0o644 });
  return { how, pid, log: spec.log };
}

/** Stops the process a pid file names, if it is still this program. */
export async function stopRecordedProcess(spec: Pick<ServiceSpec, 'pidFile' | 'marker'>): Promise<void> {
  if (!existsSync(spec.pidFile)) return;
  const pid = Number(readFileSync(spec.pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && isRunning(pid, spec.marker)) await stopProcess(pid, spec.marker);
}

/** One line saying how the program runs now, for the command's output. */
export function describeStarted(what: string, started: Started): string {
  if (started.how === 'systemd') return `${what} runs as ${started.unit} (enabled; journalctl -u ${started.unit} shows its log).`;
  if (started.how === 'process') return `${what} runs as process ${started.pid}, logging to ${started.log} (no systemd unit here: it will not come back after a reboot).`;
  return `${what} was not started (--start none). Start it with:\n  ${started.command}`;
}
