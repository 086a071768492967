import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CliError } from './errors.js';

export const DEFAULT_SERVER = '127.0.0.1:6443';

/** configPath is ~/.berth/config (BERTH_CONFIG overrides it, for tests and several clusters). */
export function configPath(): string {
  return process.env.BERTH_CONFIG ?? join(homedir(), '.berth', 'config');
}

/** CliConfig is what ~/.berth/config holds: YAML with `server: host:port`. */
export interface CliConfig {
  server?: string;
}

export function readConfig(path = configPath()): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (err) {
    throw new CliError(`${path}: not valid YAML: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError(`${path}: expected a mapping such as "server: 127.0.0.1:6443"`);
  const server = (parsed as Record<string, unknown>).server;
  if (server !== undefined && typeof server !== 'string') throw new CliError(`${path}: server must be a string such as 127.0.0.1:6443`);
  return server === undefined ? {} : { server };
}

/** resolveServer: --server, then BERTH_SERVER, then ~/.berth/config, then the default. */
export function resolveServer(flag: string | undefined): string {
  return flag || process.env.BERTH_SERVER || readConfig().server || DEFAULT_SERVER;
}
