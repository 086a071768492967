/**
 * Masquerade for traffic leaving the cluster, in nftables, in the node's network namespace. The
 * table is Berth's own (`ip berth-nat`): the agent replaces it whole and touches no other table
 * (the service proxy keeps its rules in `ip berth-proxy`). One rule: packets from this node's
 * pod CIDR to anything outside the cluster CIDR and the service CIDR leave with the node's
 * address. Pod-to-pod traffic (inside the cluster CIDR) keeps the pod's address.
 */
import { runTool, type CommandRunner } from './commands.js';
import { parseCidr } from './ipv4.js';

/** The nftables table (family ip) the agent owns for masquerade. */
export const NAT_TABLE = 'berth-nat';

/** MasqueradeSettings is what the rule is made of. */
export interface MasqueradeSettings {
  podCIDR: string;
  clusterCIDR: string;
  serviceCIDR: string;
}

/**
 * masqueradeRuleset is the `nft -f` script that replaces the table in one transaction: adding
 * then deleting makes it exist, so the delete never fails, and the new table follows.
 */
export function masqueradeRuleset(settings: MasqueradeSettings): string {
  for (const [flag, cidr] of Object.entries(settings)) {
    try {
      parseCidr(cidr);
    } catch (err) {
      throw new Error(`masquerade: ${flag} ${(err as Error).message}`);
    }
  }
  return [
    `add table ip ${NAT_TABLE}`,
    `delete table ip ${NAT_TABLE}`,
    `table ip ${NAT_TABLE} {`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr ${settings.podCIDR} ip daddr != { ${settings.clusterCIDR}, ${settings.serviceCIDR} } masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** installMasquerade replaces the node's masquerade table with the rule for `settings`. */
export async function installMasquerade(run: CommandRunner, settings: MasqueradeSettings): Promise<void> {
  await runTool(run, 'nft', ['-f', '-'], masqueradeRuleset(settings));
}
