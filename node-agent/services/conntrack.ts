import { existsSync } from 'node:fs';
import { runIn } from './nft-runner.js';
import type { ConntrackDeletion } from './udp-flows.js';

/** Conntrack is used by the service proxy to delete UDP conntrack entries (udp-flows.ts says which and why). */
export interface Conntrack {
  delete(deletion: ConntrackDeletion): Promise<void>;
}

const DEFAULT_CONNTRACK = existsSync('/usr/sbin/conntrack') ? '/usr/sbin/conntrack' : 'conntrack';

/** CommandConntrack runs conntrack-tools' `conntrack -D` through runCommand, in the agent's network namespace or in `netns`. */
export class CommandConntrack implements Conntrack {
  constructor(private readonly options: { netns?: string; binary?: string } = {}) {}

  async delete(d: ConntrackDeletion): Promise<void> {
    const args = ['-D', '-p', 'udp', ...(d.dst ? ['--orig-dst', d.dst] : []), '--orig-port-dst', String(d.port), ...(d.dnat ? ['--dst-nat', d.dnat] : [])];
    const outcome = await runIn(this.options.netns, this.options.binary ?? DEFAULT_CONNTRACK, args, { timeoutMs: 10_000 });
    // Exit code 1 with "0 flow entries have been deleted" is the usual case: nothing to delete.
    if (outcome.exitCode !== 0 && outcome.exitCode !== 1) throw new Error(`conntrack ${args.join(' ')} failed: ${outcome.stderr.trim() || `exit ${outcome.exitCode}`}`);
  }
}
