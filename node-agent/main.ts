#!/usr/bin/env node
/**
 * berth-agent: the node agent. Flags: see agent/options.ts (`berth-agent --help`).
 * SIGTERM/SIGINT end the agent but not its containers (DESIGN.md section 5: they outlive it and
 * the next agent re-adopts them).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from './agent/agent.js';
import { createAgentLogger } from './agent/log.js';
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
const agent = new Agent(options, version, logger);

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
