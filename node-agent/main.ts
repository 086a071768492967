#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --jitless --no-expose-wasm --max-semi-space-size=1 --optimize-for-size
/**
 * berth-agent: the node agent. Flags: see agent/options.ts (`berth-agent --help`).
 * SIGTERM/SIGINT end the agent but not its containers (they outlive it and
 * the next agent re-adopts them).
 *
 * The #! line keeps the agent small: one runs on every node, beside the pods it runs, and its
 * work is system calls and waiting, not computing. `berth up` starts agents with the same line
 * (cli/local-cluster/paths.ts agentLaunch); so should anything else that starts one.
 * - --jitless: V8 interprets bytecode and never generates machine code, so neither its
 *   compilers nor compiled code stay resident (6 MiB less of the node binary alone); a 100-pod
 *   start used no more CPU. It also leaves out WebAssembly, and with it fetch(), whose undici
 *   parser is WebAssembly: the agent speaks HTTP through node:http.
 * - --no-expose-wasm: says what --jitless implies; without it V8 warns at every start.
 * - --max-semi-space-size=1: a young generation of at most 2 MiB instead of up to 32 MiB.
 * - --optimize-for-size: the old generation grows by at most 1.3 times what survived the last
 *   full collection (V8's default allows up to 4 times, after a high first limit), so garbage of
 *   earlier pod starts does not pile up to over 100 MiB.
 * - MALLOC_ARENA_MAX=2: glibc gives each thread that allocates an arena of its own (up to 8 per
 *   core), and the agent's short-lived threads (libuv's pool, the addon's commands) left more
 *   than 15 arenas behind.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from './agent/agent.js';
import { createAgentLogger } from './agent/log.js';
import { loadNodeTls } from './agent/node-tls.js';
import { parseAgentOptions } from './agent/options.js';

function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return '0.0.0';
      dir = parent;
    }
  }
}

const version = packageVersion();
const options = parseAgentOptions(process.argv, version);
const logger = createAgentLogger(options.logLevel, options.name);
let tls;
try {
  tls = loadNodeTls(options.tlsDir, options.name);
} catch (err) {
  logger.error('agent cannot start: its credentials (--tls-dir) are not usable', { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
const agent = new Agent(options, version, logger, tls);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping; containers keep running', { signal });
    agent.stop().finally(() => process.exit(0));
  });
}

agent.start().catch((err: unknown) => {
  logger.error('agent failed to start', { error: err instanceof Error ? err.stack : String(err) });
  process.exit(1);
});
