import { existsSync } from 'node:fs';
import { runCommand, type CommandOptions, type CommandOutcome } from '../native/index.js';
import { TABLE } from './nft-plan.js';

/** NftError is a failed nft command, with what nft said. */
export class NftError extends Error {
  override name = 'NftError';

  /** @param outcomeUnknown nft was killed, so whether the kernel took the transaction is not known */
  constructor(message: string, readonly outcomeUnknown = false) {
    super(message);
  }
}

/**
 * Nft is used by the service proxy to talk to nftables: apply one transaction, and list its table.
 * Tests give an implementation that runs in another network namespace.
 */
export interface Nft {
  /** apply runs the commands as ONE transaction (`nft -f -`): all of them take effect, or none. */
  apply(commands: readonly string[]): Promise<void>;
  /** listTable returns `nft -j list table ip berth-proxy`, or undefined when the table does not exist. */
  listTable(): Promise<string | undefined>;
}

/** Debian's nft, used by path when present: an agent started without /usr/sbin in its PATH still finds it. */
const DEFAULT_NFT = existsSync('/usr/sbin/nft') ? '/usr/sbin/nft' : 'nft';

/** How long one nft command may take before it is killed and counted as failed. */
const NFT_TIMEOUT_MS = 30_000;

function describe(outcome: CommandOutcome): string {
  if (outcome.timedOut) return `timed out after ${NFT_TIMEOUT_MS} ms`;
  const how = outcome.exitCode !== null ? `exit code ${outcome.exitCode}` : `signal ${outcome.signal}`;
  return `${how}: ${outcome.stderr.trim().split('\n').slice(0, 6).join(' | ')}`;
}

/**
 * CommandNft runs the `nft` binary through the addon's runCommand (the agent never forks
 * itself), in the agent's network namespace, or in `netns` (a path such as /run/netns/x, entered
 * with nsenter) when given.
 */
export class CommandNft implements Nft {
  constructor(private readonly options: { netns?: string; binary?: string } = {}) {}

  async apply(commands: readonly string[]): Promise<void> {
    const outcome = await this.run(['-f', '-'], commands.join('\n') + '\n', 16 * 1024 * 1024);
    if (outcome.exitCode !== 0) throw new NftError(`nft transaction of ${commands.length} commands failed (${describe(outcome)})`, outcome.exitCode === null);
  }

  async listTable(): Promise<string | undefined> {
    const outcome = await this.run(['-j', 'list', 'table', 'ip', TABLE], undefined, 512 * 1024 * 1024);
    if (outcome.exitCode === 0) return outcome.stdout;
    if (/No such file or directory/.test(outcome.stderr)) return undefined;
    throw new NftError(`listing nft table ip ${TABLE} failed (${describe(outcome)})`);
  }

  private run(args: string[], input: string | undefined, maxOutput: number): Promise<CommandOutcome> {
    return runIn(this.options.netns, this.options.binary ?? DEFAULT_NFT, args, { timeoutMs: NFT_TIMEOUT_MS, maxOutput, ...(input !== undefined ? { input } : {}) });
  }
}

/** runIn runs a command through runCommand, in the network namespace at `netns` (entered with nsenter) when given. */
export function runIn(netns: string | undefined, binary: string, args: readonly string[], options: CommandOptions): Promise<CommandOutcome> {
  return netns ? runCommand('nsenter', [`--net=${netns}`, '--', binary, ...args], options) : runCommand(binary, args, options);
}
