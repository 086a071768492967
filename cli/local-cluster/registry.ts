/**
 * The local cluster's image registry: Debian's docker-registry binary run as a plain process of
 * the cluster (never its system service), with a config generated into the state dir:
 * filesystem storage under the state dir, plain HTTP on <bridge ip>:5000, no auth. The nodes
 * use it as their docker.io mirror (docs/architecture.md section 9).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from '../errors.js';
import { REGISTRY_BINARY } from './paths.js';
import { isRunning, spawnDetached, tail } from './processes.js';

/** The port the registry listens on, on the bridge address. */
export const REGISTRY_PORT = 5000;

/** writeRegistryConfig writes the registry's config under `dir` and returns its path. */
export function writeRegistryConfig(dir: string, address: string): string {
  mkdirSync(join(dir, 'storage'), { recursive: true, mode: 0o700 });
  const config = join(dir, 'config.yml');
  const lines = ['version: 0.1', 'log:', '  level: warn', '  accesslog:', '    disabled: true', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'storage')}`, '  delete:', '    enabled: true', 'http:', `  addr: ${address}`, ''];
  writeFileSync(config, lines.join('\n'), { mode: 0o600 });
  return config;
}

/** startRegistry starts docker-registry with `config`, logging to <dir>/registry.log; returns its pid (not yet ready). */
export function startRegistry(dir: string, config: string): number {
  if (!existsSync(REGISTRY_BINARY)) throw new CliError(`${REGISTRY_BINARY} is missing: install Debian's docker-registry package (bash .ci/install-deps)`);
  return spawnDetached(REGISTRY_BINARY, ['serve', config], join(dir, 'registry.log'));
}

/** waitRegistryReady waits until GET /v2/ answers 200, or fails naming the log. */
export async function waitRegistryReady(address: string, pid: number, config: string, dir: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid, config)) break;
    try {
      const res = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  const log = join(dir, 'registry.log');
  throw new CliError(`the image registry did not come up on ${address}. Last lines of ${log}:\n${tail(log)}`);
}
