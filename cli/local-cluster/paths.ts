import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packageRoot is the folder with Berth's package.json, found from this file (source or dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'proto'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find Berth's package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/**
 * The local cluster starts the other Berth programs as separate processes (never by importing them:
 * the CLI depends on proto/ only). Their entry points, as built into dist/.
 */
export function controlPlaneEntry(): string {
  return join(packageRoot(), 'dist', 'control-plane', 'main.js');
}

/** The node agent (`berth-agent`), started once per node inside the node's network namespace. */
export function agentEntry(): string {
  return join(packageRoot(), 'dist', 'node-agent', 'main.js');
}

/** The container runtime binary node-gyp builds; `berth down` uses it to delete the agents' containers. */
export function runtimeBinary(): string {
  return join(packageRoot(), 'node-agent', 'native', 'build', 'Release', 'berth-runtime');
}

/** Debian's docker-registry binary (package docker-registry); run with Berth's own config, never as its service. */
export const REGISTRY_BINARY = '/usr/bin/docker-registry';
