/**
 * How the network room runs programs (CNI plugins, `ip`, `nft`): through a CommandRunner, which
 * in the agent is the addon's runCommand (posix_spawn on a thread; the agent never forks
 * itself). The agent runs inside its node's network namespace, so what these programs change is
 * the node's. Tests give a runner that enters a namespace they made (inNetns).
 */
import { runCommand, type CommandOptions, type CommandOutcome } from '../native/index.js';

/** CommandRunner runs a program to its end and captures its output; it rejects only when it cannot start. */
export type CommandRunner = (file: string, args: readonly string[], options?: Pick<CommandOptions, 'input' | 'env' | 'timeoutMs' | 'idle'>) => Promise<CommandOutcome>;

/** How long one `ip` or `nft` command may take. */
const TOOL_TIMEOUT_MS = 10_000;

/** The agent's runner: the addon's runCommand, in the agent's own network namespace. */
export const agentRunner: CommandRunner = (file, args, options) => runCommand(file, args, options);

/** inNetns wraps a runner so every program runs in the network namespace bound at `netnsPath` (nsenter --net). */
export function inNetns(run: CommandRunner, netnsPath: string): CommandRunner {
  return (file, args, options) => run('nsenter', [`--net=${netnsPath}`, '--', file, ...args], options);
}

/** atIdlePriority wraps a runner so every program runs under SCHED_IDLE (background work: it yields the CPU to everything else). */
export function atIdlePriority(run: CommandRunner): CommandRunner {
  return (file, args, options) => run(file, args, { ...options, idle: true });
}

/** CommandFailedError is a tool that ran and failed: its command line and what it said. */
export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
  constructor(readonly argv: readonly string[], readonly outcome: CommandOutcome) {
    const status = outcome.timedOut ? 'timed out' : outcome.signal !== null ? `killed by signal ${outcome.signal}` : `exit status ${String(outcome.exitCode)}`;
    super(`${argv.join(' ')} failed (${status}): ${outcome.stderr.trim() || outcome.stdout.trim() || 'no output'}`);
  }
}

/** runTool runs `ip`, `nft` or the like and returns its stdout; a non-zero exit throws CommandFailedError. */
export async function runTool(run: CommandRunner, file: string, args: readonly string[], input?: string): Promise<string> {
  const outcome = await run(file, args, { timeoutMs: TOOL_TIMEOUT_MS, ...(input !== undefined ? { input } : {}) });
  if (outcome.exitCode !== 0) throw new CommandFailedError([file, ...args], outcome);
  return outcome.stdout;
}
