import { existsSync, readFileSync } from 'node:fs';
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

/** AgentLaunch is used to start the agent as its `#!` line asks: with this environment and these Node options. */
export interface AgentLaunch {
  env: Record<string, string>;
  nodeOptions: string[];
}

/**
 * agentLaunch reads the agent's `#!` line (`#!/usr/bin/env -S NAME=value… node --option…`). The
 * local cluster starts the agent with this CLI's own node binary rather than through that line,
 * so it applies them itself: the agent runs the same however it is started. A line of another
 * shape is an error naming the file, so the options are never dropped silently.
 */
export function agentLaunch(): AgentLaunch {
  const entry = agentEntry();
  const first = readFileSync(entry, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S((?: [A-Za-z_][A-Za-z0-9_]*=\S*)*) node((?: --\S+)*)\s*$/.exec(first);
  if (!m) throw new Error(`${entry}: the first line is not "#!/usr/bin/env -S [NAME=value…] node [--option…]": ${first}`);
  const words = (s: string | undefined): string[] => (s ?? '').split(' ').filter((w) => w !== '');
  const env = Object.fromEntries(words(m[1]).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  return { env, nodeOptions: words(m[2]) };
}

/** The container runtime binary node-gyp builds; `berth down` uses it to delete the agents' containers. */
export function runtimeBinary(): string {
  return join(packageRoot(), 'node-agent', 'native', 'build', 'Release', 'berth-runtime');
}

/** Debian's docker-registry binary (package docker-registry); run with Berth's own config, never as its service. */
export const REGISTRY_BINARY = '/usr/bin/docker-registry';
