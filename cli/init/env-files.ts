// The environment files the systemd units read (kubeadm's kubeadm-flags.env): one variable
// holding the program's flags, which the unit's ExecStart expands as separate words.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CliError } from '../errors.js';

/** The variable berth-control-plane.service passes to berth-control-plane. */
export const CONTROL_PLANE_ARGS_VARIABLE = 'BERTH_CONTROL_PLANE_ARGS';
/** The variable berth-agent.service passes to berth-agent. */
export const AGENT_ARGS_VARIABLE = 'BERTH_AGENT_ARGS';

/** Checks a flag given to pass through (--control-plane-arg, --agent-arg): one word, starting with --. */
export function checkPassedFlag(flag: string, option: string): string {
  if (!flag.startsWith('--') || /\s|"|'|\\|\$/.test(flag)) throw new CliError(`${option} "${flag}" must be one flag such as --name=value, without spaces, quotes, backslashes or $`);
  return flag;
}

/** Writes `variable="args..."` to `path` (mode 0644: flags only, no secrets), atomically. */
export function writeEnvFile(path: string, variable: string, args: string[], writer: string): void {
  for (const arg of args) if (/\s|"|\\|\$/.test(arg)) throw new CliError(`cannot write ${path}: the argument "${arg}" holds whitespace, a quote, a backslash or $`);
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const text = `# Written by ${writer}; read by the systemd unit (EnvironmentFile=). Extra flags: add them here and restart the unit.\n${variable}="${args.join(' ')}"\n`;
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text, { mode: 0o644 });
  renameSync(temporary, path);
}

/** Reads the flags back from an env file written by writeEnvFile (for starting the program without systemd). */
export function readEnvFile(path: string, variable: string): string[] {
  const text = readFileSync(path, 'utf8');
  const m = new RegExp(`^${variable}="([^"]*)"$`, 'm').exec(text);
  if (!m) throw new CliError(`${path}: no line ${variable}="..."`);
  return (m[1] ?? '').split(' ').filter((w) => w !== '');
}
